# levels: read uncommitted, read committed, repeatable read, serializable
# The statement that inserted the keys fails itself: t1's INSERT writes 'k'
# and 'm', then waits for 'j', which t4 holds; t4 commits, so t1's statement
# fails with 23505 and its transaction aborts there, releasing 'k' and 'm'.
# A plain INSERT waiting on 'k' and an upsert (ON CONFLICT DO UPDATE) waiting
# on 'm' go on at once.
# Position (the idempotency thread's worry that a request which fails keeps
# its key claimed): a multi-row claim that fails part-way frees what it had
# written when it fails.
# Expected (PostgreSQL): when t4 commits, t1 fails with 23505, t2 inserts
# 'k' and t3 inserts 'm', at every level.
create table idempotency_keys (key text primary key, status text, hits int)
t4: begin transaction isolation level {level}
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t4: insert into idempotency_keys values ('j', 'held', 1)
t1: insert into idempotency_keys values ('k', 'first', 1), ('m', 'first', 1), ('j', 'first', 1)
t2: insert into idempotency_keys values ('k', 'blind', 1)
t3: insert into idempotency_keys as k values ('m', 'upsert', 1) on conflict (key) do update set hits = k.hits + 1 returning *
t4: commit
t1: rollback
t2: commit
t3: commit
t1: select * from idempotency_keys
