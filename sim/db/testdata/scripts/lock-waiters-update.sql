# levels: read uncommitted, read committed, repeatable read, serializable
# The companion of lock-waiters-delete: t1 updates the held row so that the
# waiters' WHERE no longer matches it, instead of deleting it. Here
# PostgreSQL's waiter does lock the row's new version before its re-check
# fails, and keeps that lock, so the next waiter goes on only when the
# first one's transaction ends.
# Expected (PostgreSQL): at read committed, t2 resumes with no row when t1
# commits, and t3 resumes (with no row) only after t2 commits. At
# repeatable read and serializable, t2 and t3 both fail with 40001 when t1
# commits.
create table idempotency_keys (key text primary key, status text)
insert into idempotency_keys values ('k', 'started'), ('j', 'started')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' and status = 'started' for update   # blocks
t3: select * from idempotency_keys where key = 'k' and status = 'started' for update   # blocks behind t2
t1: update idempotency_keys set status = 'done' where key = 'k'
t1: commit
t2: commit
t3: commit
t1: select * from idempotency_keys
