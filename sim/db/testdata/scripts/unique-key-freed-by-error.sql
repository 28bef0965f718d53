# levels: read uncommitted, read committed, repeatable read, serializable
# A transaction holds two uncommitted keys; a plain INSERT waits on one and
# an INSERT ... ON CONFLICT DO NOTHING on the other. Then a later statement
# of the holder fails (a NOT NULL violation). PostgreSQL aborts the
# transaction at the error, not at the ROLLBACK that follows, so both
# waiters go on as soon as the statement fails.
# Position (the idempotency thread's worry that a request which fails keeps
# its key claimed): the key is free when the failing statement returns,
# though the client has not rolled back yet.
# Expected (PostgreSQL): t1's statement fails with 23502; t2 inserts 'k'
# and t3 inserts 'm' at once, at every level.
create table idempotency_keys (key text primary key, status text not null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: insert into idempotency_keys values ('k', 'first'), ('m', 'first')
t2: insert into idempotency_keys values ('k', 'blind')
t3: insert into idempotency_keys values ('m', 'claim') on conflict do nothing returning *
t1: insert into idempotency_keys values ('j', null)
t1: rollback
t2: commit
t3: commit
t1: select * from idempotency_keys
