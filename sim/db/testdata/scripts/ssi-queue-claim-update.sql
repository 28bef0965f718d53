# levels: read uncommitted, read committed, repeatable read, serializable
# The same queue, with the failure on the worker's own claim. t2 claims
# job 1; t1's claim reads job 1, skips it (t2 holds it) and takes job 2,
# so t1 depends on t2 once t2 marks job 1 running. t2 then looks for the
# next pending job without locking and reads job 2, the row t1 claimed,
# and commits. When t1 marks its job running (update ... where id = 2
# returning), its write meets the read lock t2 kept on job 2 after
# committing: t2 depends on t1, t1 on t2, and t2 committed first.
# PostgreSQL fails t1 at that update.
# Why it matters to an idempotency strategy: the claim succeeded, yet the
# write that records it fails; a strategy that charged between the claim
# and this write has charged for a job it must give back and retry.
# Expected (checked on PostgreSQL 15): below serializable all succeed; at
# serializable t1's update fails with 40001 and its commit rolls back.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t2: select id from jobs where state = 'pending' order by id for update skip locked limit 1
t1: select id from jobs where state = 'pending' order by id for update skip locked limit 1
t2: update jobs set state = 'running' where id = 1 returning id, state
t2: select id from jobs where state = 'pending' order by id limit 1
t2: commit
t1: update jobs set state = 'running' where id = 2 returning id, state
t1: commit
t1: select * from jobs
