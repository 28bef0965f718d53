# levels: read uncommitted, read committed, repeatable read, serializable
# Two queue workers at serializable, each claiming the first pending job
# with ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED and marking it running.
# t2's claim reads job 1 before skipping it (PostgreSQL fetches the row,
# and records the read, before LockRows finds it locked), so t2 depends on
# t1, which then updates job 1. t2 commits. t1's next statement is a plain
# look at the next pending job: it reads job 2's old version, which t2
# replaced, so t1 depends on t2 too, and t2 has committed. PostgreSQL
# fails t1 at that read, not at its commit.
# Why it matters to an idempotency strategy: a worker that reads, then
# charges, then writes learns of the failure before it charges; one that
# only found out at commit would have charged for a job it must retry.
# Expected (checked on PostgreSQL 15): below serializable all succeed, t1
# finding job 3 next at read committed and below and job 2 (its snapshot's
# view) at repeatable read; at serializable t1's select fails with 40001
# and its commit rolls back.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select id from jobs where state = 'pending' order by id for update skip locked limit 1
t2: select id from jobs where state = 'pending' order by id for update skip locked limit 1
t1: update jobs set state = 'running' where id = 1 returning id, state
t2: update jobs set state = 'running' where id = 2 returning id, state
t2: commit
t1: select id from jobs where state = 'pending' order by id limit 1
t1: commit
t1: select * from jobs
