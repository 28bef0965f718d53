# levels: read uncommitted, read committed, repeatable read, serializable
# Blind inserts with a primary key on the idempotency key: neither request
# reads first.
# Position (the idempotency thread's argument that a unique constraint is
# enough): skip the separate existence check and let the write itself fail
# atomically; a unique constraint does the duplicate check inside the one
# INSERT, which amounts to the explicit transaction.
# Expected: t2's insert waits for t1's uncommitted key and fails with 23505
# when t1 commits, at every level (at serializable too: t2 read nothing, so
# there is no read/write dependency to report as 40001).
create table idempotency_keys (key text primary key, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys (key, status) values ('k', 'started')
t2: insert into idempotency_keys (key, status) values ('k', 'started')  # blocks
t1: commit                                                  # t2: 23505
t2: commit                                                  # rolled back
t1: select * from idempotency_keys
