# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT DO NOTHING RETURNING * while a concurrent
# uncommitted insert of the same key later commits.
# Position (the idempotency thread's argument that a unique constraint is
# enough): the duplicate check happens inside the one INSERT -- and the
# insert tells the caller whether it won.
# Expected: t1's insert returns its row. t2's waits for t1's uncommitted key.
# At read committed it resumes with no row (t2 lost: a duplicate). At
# repeatable read and serializable it resumes with 40001: the conflicting row
# was committed after t2's snapshot, so DO NOTHING cannot be decided.
create table idempotency_keys (key text primary key, status text, response int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys (key, status) values ('k', 'started') on conflict do nothing returning *
t2: insert into idempotency_keys (key, status) values ('k', 'started') on conflict do nothing returning *  # blocks
t1: commit
t2: commit
t1: select * from idempotency_keys
