# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE NOWAIT on a key row that another request holds.
# Claim (the idempotency thread): "If a transaction is locked then subsequent
# requests would return a 409, ideally with an error message indicating that
# it's currently being processed."
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
