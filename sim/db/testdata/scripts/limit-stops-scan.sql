# levels: read uncommitted, read committed, repeatable read, serializable
# A SELECT with LIMIT whose ORDER BY follows the primary key, or that has no
# ORDER BY, stops reading at the limit: PostgreSQL answers it with a scan
# of the index (forward, or backward for DESC) under its Limit, so rows
# after the last one returned are neither locked nor read. Without a
# LIMIT, every matching row is locked.
# Expected (PostgreSQL): t1's claim locks job 1 only, so t2 locks job 2
# and, scanning backward, job 3 without waiting, while FOR UPDATE NOWAIT of
# all pending jobs fails with 55P03. Then t4 claims job 1 while t3 is
# updating job 2: t4 never reads job 2, so at serializable there is no
# read/write dependency from t4 to t3, and both commit, at every level.
create table jobs (id int primary key, status text)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t1: begin transaction isolation level {level}
t1: select * from jobs where status = 'pending' order by id limit 1 for update
t2: select * from jobs where id = 2 for update nowait
t2: select * from jobs where status = 'pending' order by id desc limit 1 for update nowait
t2: select * from jobs where status = 'pending' limit 1 for update skip locked
t2: select * from jobs where status = 'pending' order by id for update nowait
t1: commit
t3: begin transaction isolation level {level}
t4: begin transaction isolation level {level}
t3: update jobs set status = 'running' where id = 2
t4: select * from jobs where status = 'pending' order by id limit 1 for update skip locked
t3: select * from jobs order by id
t4: update jobs set status = 'running' where id = 1
t3: commit
t4: commit
t1: select * from jobs order by id
