# levels: read uncommitted, read committed, repeatable read, serializable
# Two plain INSERTs and, between them, an ON CONFLICT DO NOTHING wait for
# one uncommitted key; the holder rolls back and all three race.
# Position (the idempotency thread's claim with ON CONFLICT DO NOTHING):
# the claim's place in the queue decides nothing.
# Expected: the simulation lets t2 through, then t3 and t4 wait for it;
# PostgreSQL lets any of the three through.
create table idempotency_keys (key text primary key, status text)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t4: begin transaction isolation level {level}
t1: insert into idempotency_keys values ('k', 'first')
t2: insert into idempotency_keys values ('k', 'blind-1')
t3: insert into idempotency_keys values ('k', 'claim') on conflict do nothing returning *
t4: insert into idempotency_keys values ('k', 'blind-2')
t1: rollback
t2: commit
t3: commit
t4: rollback
t1: select * from idempotency_keys
