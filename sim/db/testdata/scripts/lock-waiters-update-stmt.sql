# levels: read uncommitted, read committed, repeatable read, serializable
# lock-waiters-delete and lock-waiters-update with UPDATE statements as the
# waiters: t2 and t3 each try to claim the held row with an UPDATE whose
# WHERE t1's change defeats (first row), or whose row t1 deletes (second).
# Expected (PostgreSQL): at read committed, for the update the waiters
# finish one after the other (t3 after t2 commits), both updating nothing;
# for the delete both finish at once when t1 commits. At repeatable read
# and serializable each waiter fails with 40001 as soon as t1 commits.
create table idempotency_keys (key text primary key, status text)
insert into idempotency_keys values ('k', 'started'), ('j', 'started')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: update idempotency_keys set status = 'done' where key = 'k'
t2: update idempotency_keys set status = 'mine' where key = 'k' and status = 'started'   # blocks
t3: update idempotency_keys set status = 'ours' where key = 'k' and status = 'started'   # blocks
t1: commit
t2: commit
t3: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: delete from idempotency_keys where key = 'j'
t2: update idempotency_keys set status = 'mine' where key = 'j'   # blocks
t3: update idempotency_keys set status = 'ours' where key = 'j'   # blocks
t1: commit
t2: commit
t3: commit
t1: select * from idempotency_keys
