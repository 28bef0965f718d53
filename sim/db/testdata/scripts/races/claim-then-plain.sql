# levels: read uncommitted, read committed, repeatable read, serializable
# An INSERT ... ON CONFLICT DO NOTHING and then a plain INSERT wait for one
# uncommitted key; its holder rolls back. PostgreSQL grants both waits at
# once (each waits for the holder's transaction id in share mode), and the
# two backends then race: whichever re-checks the index first takes the
# key, the other waits for it. See README.md here for how often each won.
# Position (the idempotency thread's claim with ON CONFLICT DO NOTHING
# against a competitor that inserts blindly): which of them gets the key is
# up to the scheduler, not to who asked first.
# Expected: the simulation lets t2 (first to wait) through; PostgreSQL lets
# either through.
create table idempotency_keys (key text primary key, status text)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: insert into idempotency_keys values ('k', 'first')
t2: insert into idempotency_keys values ('k', 'claim') on conflict do nothing returning *
t3: insert into idempotency_keys values ('k', 'blind')
t1: rollback
t3: commit
t2: commit
t1: select * from idempotency_keys
