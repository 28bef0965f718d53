# levels: read uncommitted, read committed, repeatable read, serializable
# An ON CONFLICT DO UPDATE whose WHERE fails on the conflicting row updates
# nothing and returns nothing, but has locked the row first, as
# PostgreSQL's ExecOnConflictUpdate does (FOR NO KEY UPDATE strength when
# SET leaves the key alone), and keeps the lock to the end of its
# transaction. The key's lease ends in the year 3000, so that it is live
# on the simulation's clock and on the server's alike.
# Position (the thread's lease-based claim): a worker that finds the key's
# lease still live and backs off still holds the key's row until it ends
# its transaction, so another worker's claim waits for it.
# Expected (PostgreSQL): t1's upsert returns no row; t2's FOR KEY SHARE goes
# through, its FOR SHARE NOWAIT fails with 55P03, and its own upsert waits
# until t1 commits, then takes the row over, at every level (t1 changed
# nothing, so even repeatable read and serializable see no concurrent
# update).
create table idempotency_keys (key text primary key, locked_at timestamptz, owner text)
insert into idempotency_keys values ('k', timestamptz '3000-01-01 00:00:00+00', 'a')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into idempotency_keys as k values ('k', now(), 'b') on conflict (key) do update set locked_at = excluded.locked_at, owner = excluded.owner where k.locked_at < now() returning k.owner
t2: select owner from idempotency_keys where key = 'k' for key share
t2: select owner from idempotency_keys where key = 'k' for share nowait
t2: rollback
t2: begin transaction isolation level {level}
t2: insert into idempotency_keys as k values ('k', now(), 'c') on conflict (key) do update set owner = excluded.owner where k.locked_at > now() returning k.owner
t1: commit
t2: commit
t1: select owner from idempotency_keys
