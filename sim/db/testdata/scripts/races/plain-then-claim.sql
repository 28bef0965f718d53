# levels: read uncommitted, read committed, repeatable read, serializable
# The reverse arrival order of claim-then-plain: the plain INSERT waits
# first, then the ON CONFLICT DO NOTHING; the holder rolls back, and the
# two race for the key.
# Position (the idempotency thread's claim with ON CONFLICT DO NOTHING
# against a competitor that inserts blindly): as in claim-then-plain.
# Expected: the simulation lets t2 through; PostgreSQL lets either through.
create table idempotency_keys (key text primary key, status text)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: insert into idempotency_keys values ('k', 'first')
t2: insert into idempotency_keys values ('k', 'blind')
t3: insert into idempotency_keys values ('k', 'claim') on conflict do nothing returning *
t1: rollback
t2: rollback
t3: commit
t1: select * from idempotency_keys
