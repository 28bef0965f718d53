# levels: read uncommitted, read committed, repeatable read, serializable
# A read that meets a row written by a transaction that has already
# committed with a conflict of its own fails at once. t2 reads job 3, which
# t3 then marks done and commits; t2 marks job 2 running and commits, with
# a dependency on t3, which committed before it. t1, which began before
# either committed, first looks for the next pending job with ORDER BY id
# LIMIT 1: the scan stops at job 1 and never reaches job 2, so nothing
# fails. Then t1 reads job 2, whose old version t2 replaced: t1 depends on
# t2, which depends on t3, and both committed first. PostgreSQL fails t1
# at that read, although t1 has written nothing.
# Why it matters to an idempotency strategy: a worker that looks up the
# state of a job before acting on it is stopped at the look, before any
# charge, not at commit.
# Expected (checked on PostgreSQL 15): below serializable all succeed; at
# serializable t1's select of job 2 fails with 40001 and its commit rolls
# back.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: select count(*) from jobs where id = 1
t2: select * from jobs where id = 3
t3: update jobs set state = 'done' where id = 3
t3: commit
t2: update jobs set state = 'running' where id = 2 returning id, state
t2: commit
t1: select id from jobs where state = 'pending' order by id limit 1
t1: select * from jobs where id = 2
t1: commit
t1: select * from jobs
