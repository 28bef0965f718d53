# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT (cols) DO UPDATE within one session: a new key is
# inserted; an existing one is updated from SET, where excluded.c is the
# value the insert proposed and t.c the row's own; a WHERE that fails leaves
# the row as it was and returns nothing; DO NOTHING with a composite target
# returns only rows it inserted. A target that matches no unique constraint
# is 42P10, an unqualified column in SET is ambiguous (42702), and one
# statement that would update the same row twice is 21000.
# Expected (PostgreSQL): the results below, at every level.
create table idempotency_keys (client_id int, key text, status text, hits int, primary key (client_id, key))
insert into idempotency_keys values (1, 'a', 'done', 1)
t1: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'a', 'retry', 1), (1, 'b', 'started', 1) on conflict (client_id, key) do update set hits = idempotency_keys.hits + 1, status = excluded.status returning *
t1: insert into idempotency_keys values (1, 'a', 'x', 0) on conflict (key, client_id) do update set hits = 0 where idempotency_keys.status = 'done' returning *
t1: insert into idempotency_keys values (1, 'a', 'x', 0) on conflict (client_id, key) do update set hits = 100 where excluded.hits = 0 returning hits
t1: insert into idempotency_keys values (1, 'a', 'y', 0), (1, 'c', 'started', 1) on conflict (client_id, key) do nothing returning *
t1: commit
t1: select * from idempotency_keys
t1: begin transaction isolation level {level}
t1: insert into idempotency_keys values (2, 'a', 'x', 1), (2, 'a', 'y', 1) on conflict (client_id, key) do update set status = excluded.status
t1: rollback
t1: begin transaction isolation level {level}
t1: insert into idempotency_keys values (1, 'a', 'x', 1), (1, 'a', 'y', 1) on conflict (client_id, key) do update set status = excluded.status
t1: rollback
t1: insert into idempotency_keys values (1, 'a', 'x', 1) on conflict (key) do update set status = 'z'
t1: insert into idempotency_keys values (1, 'a', 'x', 1) on conflict (client_id, key) do update set hits = hits + 1
t1: insert into idempotency_keys values (1, 'a', 'x', 1) on conflict do update set status = 'z'
t1: insert into idempotency_keys values (1, 'a', 'x', 1) on conflict (client_id, key) do update set client_id = 5 returning *
t1: select * from idempotency_keys
