# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT DO UPDATE against a conflicting row whose insert
# has not committed yet: the upsert waits for the inserter, as a unique
# index insertion does.
# Expected (PostgreSQL): t2 blocks. When t1 commits, at read committed t2
# updates the row t1 inserted and returns it with its own change; at
# repeatable read and serializable it fails with 40001, because the row it
# would update was committed after its snapshot.
create table idempotency_keys (client_id int, key text, status text, hits int, primary key (client_id, key))
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'k', 'started', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *
t2: insert into idempotency_keys values (1, 'k', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1, status = excluded.status returning *   # blocks
t1: commit
t2: commit
t1: select * from idempotency_keys
