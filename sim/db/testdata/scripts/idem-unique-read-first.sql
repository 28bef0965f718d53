# levels: read uncommitted, read committed, repeatable read, serializable
# Check-then-insert with a primary key on the idempotency key: both requests
# read the key first, find nothing, and insert.
# Position (the idempotency thread's argument that a unique constraint is
# often all the contract needs): one request wins, the other waits and is
# then told its key is taken (or gets the stored response).
# Expected: t2's insert waits for t1's uncommitted key; when t1 commits it
# fails. At read committed and repeatable read the error is 23505
# (unique_violation); at serializable, because t2 had read the key and found
# nothing, PostgreSQL reports 40001 instead (a retry will see the key). t2's
# commit is then rolled back.
create table idempotency_keys (key text primary key, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k'          # nothing
t2: select * from idempotency_keys where key = 'k'          # nothing
t1: insert into idempotency_keys (key, status) values ('k', 'started')
t2: insert into idempotency_keys (key, status) values ('k', 'started')  # blocks
t1: commit                                                  # t2 fails
t2: commit                                                  # rolled back
t1: select * from idempotency_keys
