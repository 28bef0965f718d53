# levels: read uncommitted, read committed, repeatable read, serializable
# ON CONFLICT against rows committed after the upserting transaction took
# its snapshot, without waiting: a row updated since (DO UPDATE), and a row
# inserted since (DO UPDATE, then DO NOTHING).
# Expected (PostgreSQL): at read committed (and read uncommitted) the
# upserts see the newest rows: they update them, and DO NOTHING skips its
# row. At repeatable read and serializable each fails with 40001: the row
# it conflicts with is invisible to its snapshot.
create table idempotency_keys (client_id int, key text, status text, hits int, primary key (client_id, key))
insert into idempotency_keys values (1, 'a', 'done', 1)
t1: begin transaction isolation level {level}
t1: select * from idempotency_keys
t2: update idempotency_keys set status = 'refunded' where client_id = 1 and key = 'a'
t1: insert into idempotency_keys values (1, 'a', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from idempotency_keys
t2: insert into idempotency_keys values (2, 'b', 'done', 1)
t1: insert into idempotency_keys values (2, 'b', 'retry', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1 returning *
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from idempotency_keys
t2: insert into idempotency_keys values (3, 'c', 'done', 1)
t1: insert into idempotency_keys values (3, 'c', 'retry', 1) on conflict (client_id, key) do nothing returning *
t1: rollback
t1: select * from idempotency_keys
