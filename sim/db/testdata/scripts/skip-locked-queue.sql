# levels: read uncommitted, read committed, repeatable read, serializable
# A job queue taken with SELECT ... ORDER BY id LIMIT 1 FOR UPDATE SKIP
# LOCKED: each worker gets the first pending job nobody holds. The LIMIT
# counts rows after locking (PostgreSQL's LockRows sits below its Limit),
# so a row skipped because it is locked does not use it up. A row whose
# update is in progress is locked and skipped too; a row whose insert is in
# progress is not visible at all, so it is neither returned nor waited for.
# Expected (PostgreSQL): t1 gets job 1, t2 job 2 (job 1 skipped), t3 job 4
# (job 3 is held by t4's uncommitted update; job 0, inserted by t5, is not
# committed). A FOR SHARE SKIP LOCKED sees the same locks; FOR KEY SHARE
# SKIP LOCKED is compatible with t4's update and so also returns job 3.
# The same at every level.
create table jobs (id int primary key, status text)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending'), (4, 'pending'), (5, 'done')
t4: begin transaction isolation level {level}
t4: update jobs set status = 'pending' where id = 3
t5: begin transaction isolation level {level}
t5: insert into jobs values (0, 'pending')
t1: begin transaction isolation level {level}
t1: select * from jobs where status = 'pending' order by id limit 1 for update skip locked
t2: begin transaction isolation level {level}
t2: select * from jobs where status = 'pending' order by id limit 1 for update skip locked
t3: begin transaction isolation level {level}
t3: select * from jobs where status = 'pending' order by id limit 1 for update skip locked
t6: select * from jobs where status = 'pending' order by id for share skip locked
t6: select * from jobs where status = 'pending' order by id for key share skip locked
t6: select * from jobs order by id desc limit 2 for update skip locked
t1: commit
t2: commit
t3: commit
t4: commit
t5: commit
t6: select * from jobs where status = 'pending' order by id for update skip locked
