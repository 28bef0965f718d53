# levels: read uncommitted, read committed, repeatable read, serializable
# Two requests with different idempotency keys, each checking that its key
# is new and then claiming it: the check-then-insert pattern the thread
# proposes to run at serializable. The keys differ, so no serial order is
# broken, but PostgreSQL locks what an index lookup read by B-tree leaf
# page, and in a small table one leaf holds every key: each transaction's
# read covers the key the other inserts, the two rw-dependencies form a
# cycle, and one of them must fail.
# Expected (checked on PostgreSQL 15): below serializable both commit; at
# serializable t1's commit succeeds and t2's fails with 40001. With
# `idemsim sql --ssi-locks key` (a SIREAD lock per key) both commit.
create table idempotency_keys (key text primary key, status text not null)
insert into idempotency_keys values ('k0', 'done')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from idempotency_keys where key = 'k1'
t2: select * from idempotency_keys where key = 'k2'
t1: insert into idempotency_keys values ('k1', 'started')
t2: insert into idempotency_keys values ('k2', 'started')
t1: commit
t2: commit
t1: select * from idempotency_keys
