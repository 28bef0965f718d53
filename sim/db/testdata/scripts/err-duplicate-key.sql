# A duplicate key in autocommit (no levels).
# Position (the idempotency thread's argument that a unique constraint is
# enough): let the constraint reject the second key and map that error to
# an HTTP conflict, and a success to 200.
# Expected: the second insert of key 'k' fails with 23505 (unique_violation);
# in a multi-row insert the whole statement fails, so 'k2' is not inserted
# either; the table keeps one row.
create table idempotency_keys (key text primary key, status text, response int)
t1: insert into idempotency_keys (key, status) values ('k', 'started')
t2: insert into idempotency_keys (key, status) values ('k', 'started')   # 23505
t2: insert into idempotency_keys (key, status) values ('k2', 'started'), ('k', 'started')   # 23505
t2: insert into idempotency_keys (key, status) values ('k', 'again') on conflict do nothing
t1: select * from idempotency_keys
