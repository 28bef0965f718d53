# levels: read uncommitted, read committed, repeatable read, serializable
# A queue worker's "next job" query, ORDER BY the primary key with LIMIT:
# PostgreSQL reads the primary key in order and stops once it has its
# rows, so at serializable it has read (and locked) only the rows up to the
# last one returned, not the table. t1 takes the first queued job; t2
# changes job 3, which t1 never reached, and reads job 1, which t1 then
# updates: only t2 depends on t1, and both commit. In the second round t1
# asks for three jobs, reads job 3 too, and the dependencies form a cycle.
# Expected (checked on PostgreSQL 15): below serializable all commit; at
# serializable the first round commits both, the second fails t2's commit
# with 40001.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'queued'), (2, 'queued'), (3, 'queued')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select id, state from jobs where state = 'queued' order by id limit 1
t2: update jobs set state = 'queued' where id = 3
t2: select * from jobs where id = 1
t1: update jobs set state = 'queued' where id = 1
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select id, state from jobs where state = 'queued' order by id limit 3
t2: update jobs set state = 'queued' where id = 3
t2: select * from jobs where id = 1
t1: update jobs set state = 'queued' where id = 1
t1: commit
t2: commit
t1: select * from jobs
