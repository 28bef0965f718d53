# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder deletes the key (say, it expired) and commits.
# Position (the idempotency thread's account of the row lock): the second
# request waits on the lock until the first request has finished.
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
