# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT (client_id, key) DO NOTHING RETURNING, with a
# composite target, against an uncommitted insert of the same pair, while an
# insert of the same key under another client does not conflict at all.
# Expected (PostgreSQL): t2's insert for client 2 returns its row at once;
# t3's for client 1 blocks until t1 commits, then returns no row at read
# committed (it lost: a duplicate) and fails with 40001 at repeatable read
# and serializable.
create table idempotency_keys (client_id int, key text, status text, primary key (client_id, key))
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'k', 'started') on conflict (client_id, key) do nothing returning *
t2: insert into idempotency_keys values (2, 'k', 'started') on conflict (client_id, key) do nothing returning *
t3: insert into idempotency_keys values (1, 'k', 'started') on conflict (client_id, key) do nothing returning *   # blocks
t1: commit
t2: commit
t3: commit
t1: select * from idempotency_keys
