# levels: read uncommitted, read committed, repeatable read, serializable
# Two upserts of a key that exists race: both propose the same key and want
# to bump its counter. The first updates the row and holds its lock; the
# second waits for it.
# Expected (PostgreSQL): t2 blocks. When t1 commits, at read committed t2
# updates the row t1 left (hits 3: both increments count); at repeatable
# read and serializable t2 fails with 40001 (the row was updated after its
# snapshot), and only t1's increment remains.
create table idempotency_keys (client_id int, key text, status text, hits int, primary key (client_id, key))
insert into idempotency_keys values (1, 'k', 'done', 1)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'k', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *
t2: insert into idempotency_keys values (1, 'k', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *   # blocks
t1: commit
t2: commit
t1: select * from idempotency_keys
