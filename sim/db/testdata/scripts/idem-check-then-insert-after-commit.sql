# levels: read uncommitted, read committed, repeatable read, serializable
# The check-then-insert race of idem-check-then-insert with the other
# order of its last steps: the first request commits its payment and key
# before the second inserts its own. Both lookups found nothing, so at
# serializable the second one's key insert closes the cycle of
# read/write dependencies with a transaction that has already committed,
# and PostgreSQL cancels that insert at once instead of waiting for the
# COMMIT (the order live mode meets in the serializable-race-retried
# scenario when the first request is the quicker one).
# Expected: nothing blocks. Below serializable both commit (two
# payments); at serializable t2's key insert fails with 40001 and its
# COMMIT rolls back.
create table payments (key text, amount int)
create table idempotency_keys (key text not null, state text)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k'      # nothing
t2: select * from idempotency_keys where key = 'k'      # nothing
t1: insert into payments (key, amount) values ('k', 100)
t1: insert into idempotency_keys (key, state) values ('k', 'done')
t1: commit
t2: insert into payments (key, amount) values ('k', 100)
t2: insert into idempotency_keys (key, state) values ('k', 'done')   # serializable: 40001
t2: commit
t1: select * from payments
