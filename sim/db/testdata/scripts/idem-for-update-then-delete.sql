# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder deletes the key (say, it expired) and commits.
# Claim (the idempotency thread): "The lock would normally make the second
# request wait ... until the first one is done."
# Expected: t2 waits. At read committed it resumes with no row (the key is
# gone, so the request would proceed as new). At repeatable read and
# serializable it resumes with 40001.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update   # blocks
t1: delete from idempotency_keys where key = 'k'
t1: commit                                                  # unblocks t2
t2: commit
