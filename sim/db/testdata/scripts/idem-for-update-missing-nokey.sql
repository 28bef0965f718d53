# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on a key that does not exist yet, without a unique
# constraint.
# Position (the idempotency thread's suggestion of SELECT ... FOR UPDATE):
# lock the key's row, so that a second request waits rather than retries --
# but FOR UPDATE locks rows, and there is no row yet.
# Expected: nothing blocks; both insert the key and both commit at read
# committed and repeatable read (two rows for one key). At serializable the
# reads and inserts form a read/write cycle and t2's commit fails with 40001.
create table idempotency_keys (key text, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update   # nothing
t2: select * from idempotency_keys where key = 'k' for update   # nothing, no wait
t1: insert into idempotency_keys (key, status) values ('k', 'started')
t2: insert into idempotency_keys (key, status) values ('k', 'started')
t1: commit
t2: commit                                                  # serializable: 40001
t1: select * from idempotency_keys
