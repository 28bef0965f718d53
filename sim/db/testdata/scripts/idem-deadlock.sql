# levels: read uncommitted, read committed, repeatable read, serializable
# A classic two-row deadlock: two requests update two key rows in opposite
# orders.
# Position (the idempotency thread's view that making a duplicate request
# wait is acceptable): waiting is harmless -- until two waiting requests wait
# for each other.
# Expected at every level: t1's update of k2 waits for t2. t2's update of k1
# closes the cycle; t2's own deadlock check (after deadlock_timeout, 200 ms)
# finds it, so t2's statement fails with 40P01 and t2's transaction aborts,
# releasing k2; t1 resumes (ok 1) and commits. t2's commit is rolled back.
create table idempotency_keys (key text primary key, status text, response int)
insert into idempotency_keys (key, status) values ('k1', 'started'), ('k2', 'started')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update idempotency_keys set status = 't1' where key = 'k1'
t2: update idempotency_keys set status = 't2' where key = 'k2'
t1: update idempotency_keys set status = 't1' where key = 'k2'   # blocks
t2: update idempotency_keys set status = 't2' where key = 'k1'   # closes the cycle: 40P01
t1: commit
t2: commit                                                  # rolled back
t1: select * from idempotency_keys
