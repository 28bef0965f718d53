# levels: read uncommitted, read committed, repeatable read, serializable
# The same race as upsert-uncommitted-insert, but the first inserter rolls
# back: the waiting upsert then finds no conflict and inserts its own row.
# Expected (PostgreSQL): t2 blocks, and when t1 rolls back it resumes with
# the row it inserted, at every level.
create table idempotency_keys (client_id int, key text, status text, hits int, primary key (client_id, key))
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'k', 'started', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *
t2: insert into idempotency_keys values (1, 'k', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *   # blocks
t1: rollback
t2: commit
t1: select * from idempotency_keys
