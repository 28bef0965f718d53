# levels: read uncommitted, read committed, repeatable read, serializable
# Keys scoped per client: a composite primary key (client_id, key) and a
# composite unique constraint. The same key under two clients is two rows;
# the same pair twice is a duplicate (23505), also when the second insert
# waits for an uncommitted first one. A NULL in a unique pair never
# conflicts. Lookups by the whole key and by one column both work.
# Expected (PostgreSQL): t2's insert of (1, 'k') blocks on t1's uncommitted
# one and fails with 23505 when t1 commits, at every level: even at
# serializable t2's lookup came after t1's insert, so no read/write
# dependency runs from t1 to t2 (compare idem-unique-read-first). Then the
# single-session rows below.
create table idempotency_keys (client_id int, key text, status text, attempt int, primary key (client_id, key), unique (status, attempt))
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'k', 'started', 1), (2, 'k', 'started', 2)
t2: select * from idempotency_keys where client_id = 1 and key = 'k'
t2: insert into idempotency_keys values (1, 'k', 'started', 3)   # blocks
t1: commit
t2: rollback
t3: insert into idempotency_keys values (2, 'k', 'again', 9)
t3: insert into idempotency_keys values (3, 'k', 'started', 1)
t3: insert into idempotency_keys values (3, 'k', null, 1), (4, 'k', null, 1)
t3: select * from idempotency_keys where key = 'k' and client_id in (1, 3)
t3: select * from idempotency_keys where client_id = 2
t3: select count(*) from idempotency_keys
