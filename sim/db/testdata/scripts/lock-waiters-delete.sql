# levels: read uncommitted, read committed, repeatable read, serializable
# Three sessions on one row: t1 holds it FOR UPDATE, t2 and then t3 queue
# for it, and t1 deletes the row and commits. PostgreSQL keeps no lock on a
# row it finds deleted, so t2, finding nothing to lock, does not hold t3
# back: both go on at once.
# Expected (PostgreSQL): t2 and t3 both resume as soon as t1 commits, before
# either commits: with no row at read committed, with 40001 at repeatable
# read and serializable.
create table idempotency_keys (key text primary key, status text)
insert into idempotency_keys values ('k', 'started'), ('j', 'started')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update   # blocks
t3: select * from idempotency_keys where key = 'k' for update   # blocks behind t2
t1: delete from idempotency_keys where key = 'k'
t1: commit                                                      # t2 and t3 resume together
t2: commit
t3: commit
t1: select * from idempotency_keys
