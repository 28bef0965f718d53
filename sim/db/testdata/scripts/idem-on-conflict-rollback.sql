# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT DO NOTHING RETURNING * while a concurrent
# uncommitted insert of the same key later rolls back.
# Position (the idempotency thread's objection to answering a duplicate
# with a conflict at once): if the first request later fails, the client
# that was turned away does not retry, and the operation is lost.
# Expected: t2's insert waits for t1's uncommitted key; when t1 rolls back it
# resumes and inserts, returning its row, at every level. t2 is the original
# now.
create table idempotency_keys (key text primary key, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys (key, status) values ('k', 'started') on conflict do nothing returning *
t2: insert into idempotency_keys (key, status) values ('k', 'started') on conflict do nothing returning *  # blocks
t1: rollback
t2: commit
t1: select * from idempotency_keys
