# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder only locks it, changes nothing and commits.
# Position (the idempotency thread's argument that the row lock held by the
# first request's transaction serializes the two): the second request waits
# for that lock.
# Expected: t2 waits, then resumes with the unchanged row (k,started,NULL) at
# every level: a lock alone is not a concurrent update, so repeatable read
# and serializable do not fail.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update   # blocks
t1: commit                                                  # unblocks t2
t2: commit
