# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder records the response and commits.
# Position (the idempotency thread's suggestion of SELECT ... FOR UPDATE):
# the second request waits on the key's row lock rather than retrying, and
# once the first one is finished it finds the key done and answers with the
# stored response.
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
