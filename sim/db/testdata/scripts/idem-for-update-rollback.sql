# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... FOR UPDATE on an existing key row while another request holds
# it; the holder updates the row, then rolls back (the request failed).
# Position (the idempotency thread's objection to answering a duplicate
# with a conflict at once): if the first request later fails, the client
# that was turned away does not retry, and the operation never happens --
# so the waiter must see the failure, not the attempt.
# Expected: t2 waits, then resumes with the original row (k,started,NULL) at
# every level: a rolled-back update is no concurrent update.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k' for update
t2: select * from idempotency_keys where key = 'k' for update   # blocks
t1: update idempotency_keys set status = 'done', response = 200 where key = 'k'
t1: rollback                                                # unblocks t2
t2: commit
