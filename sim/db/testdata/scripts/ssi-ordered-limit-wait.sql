# levels: read uncommitted, read committed, repeatable read, serializable
# A locking ORDER BY ... LIMIT that waits for a row lock has already read
# the rows up to that row: PostgreSQL fetches a row, and records the read,
# before its LockRows waits to lock it. t3 updates job 2; t2 asks for the
# first queued job and waits on job 2, having read its old version (t2
# depends on t3). t1 inserts a key that t3 then looks for (t3 depends on
# t1), and commits first: t2 -> t3 -> t1 with t1 committed dooms t3.
# Expected (checked on PostgreSQL 15): at read uncommitted and read
# committed t2 gets job 3 once t3 commits (job 2 is no longer queued); at
# repeatable read t2 fails with 40001 (job 2 changed); at serializable
# t3's commit fails with 40001 and t2 then locks job 2 and commits (found
# by the feature-rich random scripts: seed 11873).
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'done'), (2, 'queued'), (3, 'queued')
create table keys (key text primary key)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t3: update jobs set state = 'running' where id = 2
t2: select id, state from jobs where state = 'queued' order by id limit 1 for update
t1: insert into keys values ('a')
t3: select * from keys where key = 'a'
t1: commit
t3: commit
t2: commit
t1: select * from jobs
