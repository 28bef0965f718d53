# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder records the response and commits.
# Claim (the idempotency thread): "I could write the sequence out with a
# SELECT FOR UPDATE and the second request will block instead of retry", and
# "The lock would normally make the second request wait ... until the first
# one is done. Then it sees it's a duplicate and returns that."
# Expected: t2 waits. At read committed it resumes with the updated row
# (k,done,200): it sees the duplicate and its response. At repeatable read
# and serializable it resumes with 40001 (the row changed since its
# snapshot): the retry, not the wait, sees the duplicate.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update   # blocks
t1: update idempotency_keys set status = 'done', response = 200 where key = 'k'
t1: commit                                                  # unblocks t2
t2: commit
