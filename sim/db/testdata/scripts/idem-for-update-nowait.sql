# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE NOWAIT on a key row that another request holds.
# Position (the idempotency thread's proposal to answer a key in progress
# with a conflict): while the first request holds the key, later ones get a
# 409 saying the request is still being processed.
# Expected: t2 fails at once with 55P03 (lock_not_available) at every level
# instead of waiting. After rolling back and after t1 commits, the same
# statement in autocommit returns the updated row.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update nowait   # 55P03
t2: rollback
t1: update idempotency_keys set status = 'done', response = 200 where key = 'k'
t1: commit
t2: select * from idempotency_keys where key = 'k' for update nowait   # autocommit: (k,done,200)
