# levels: read uncommitted, read committed, repeatable read, serializable
# SELECT ... ORDER BY ... LIMIT 1 FOR UPDATE waiting on a row that another
# transaction changes so that it no longer matches. PostgreSQL locks rows
# one at a time below the LIMIT: at read committed, when the first row
# fails its re-check, the next row is locked and returned instead.
# Expected (PostgreSQL): t2 blocks on job 1. When t1 commits, at read
# committed t2 returns job 2; at repeatable read and serializable it fails
# with 40001 (job 1 changed after its snapshot).
create table jobs (id int primary key, status text)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t1: begin transaction isolation level {level}
t1: update jobs set status = 'running' where id = 1
t2: begin transaction isolation level {level}
t2: select * from jobs where status = 'pending' order by id limit 1 for update   # blocks
t1: commit
t2: commit
t1: select * from jobs
