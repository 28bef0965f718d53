# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on a key that does not exist yet, with a primary key.
# Position (the idempotency thread's suggestion of SELECT ... FOR UPDATE):
# lock the key's row, so that a second request waits rather than retries --
# but FOR UPDATE locks rows, and there is no row yet.
# Expected: neither select blocks (both return nothing). t2's insert then
# waits for t1's uncommitted key, and fails when t1 commits: 23505 at read
# committed and repeatable read, 40001 at serializable (t2 had read the key
# and found nothing).
create table idempotency_keys (key text primary key, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update   # nothing
t2: select * from idempotency_keys where key = 'k' for update   # nothing, no wait
t1: insert into idempotency_keys (key, status) values ('k', 'started')
t2: insert into idempotency_keys (key, status) values ('k', 'started')  # blocks
t1: commit
t2: commit
t1: select * from idempotency_keys
