# levels: read uncommitted, read committed, repeatable read, serializable
# When a commit finds two pivots, which one it dooms depends on the order
# in which its writes met their readers' locks: PostgreSQL checks a
# written row's tuple lock, then its heap page's, then the table's, and
# dooms the pivot it recorded first. t2 reads jobs 1, 2 and 3 one by one
# (three tuple locks on one page become a page lock); t3 counts the jobs
# (a table scan: a lock on the table). t2 marks job 4 and t3 job 5: each
# wrote what the other read. t1 then marks job 6, on the same page: its
# write meets t2's page lock before t3's table lock, so when t1 commits
# first, t2 is the pivot it dooms, and t3 commits.
# Why it matters to an idempotency strategy: which of two racing workers
# must retry is decided by PostgreSQL's order, and a simulation that
# fails the other one tells a different story about which request was
# answered twice.
# Expected (checked on PostgreSQL 15): below serializable all commit; at
# serializable t1 commits, t2's commit fails with 40001, t3's succeeds.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending'), (4, 'pending'), (5, 'pending'), (6, 'pending')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t2: select * from jobs where id = 1
t2: select * from jobs where id = 2
t2: select * from jobs where id = 3
t3: select count(*) from jobs
t2: update jobs set state = 'running' where id = 4
t3: update jobs set state = 'running' where id = 5
t1: update jobs set state = 'running' where id = 6
t1: commit
t2: commit
t3: commit
t1: select * from jobs
