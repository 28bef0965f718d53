# levels: read uncommitted, read committed, repeatable read, serializable
# An upsert (ON CONFLICT DO UPDATE) and then a plain INSERT wait for one
# uncommitted key; the holder rolls back and the two race. If the plain
# insert wins, the upsert waits for it and then updates its row (read
# committed) or fails with 40001; if the upsert wins, the plain insert
# fails with 23505 once the upsert commits.
# Position (the thread's upsert that records the latest attempt): as in
# claim-then-plain.
# Expected: the simulation lets t2 through; PostgreSQL lets either through.
create table idempotency_keys (key text primary key, status text, hits int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: insert into idempotency_keys values ('k', 'first', 1)
t2: insert into idempotency_keys as k values ('k', 'upsert', 1) on conflict (key) do update set hits = k.hits + 1, status = excluded.status returning *
t3: insert into idempotency_keys values ('k', 'blind', 1)
t1: rollback
t3: commit
t2: commit
t1: select * from idempotency_keys
