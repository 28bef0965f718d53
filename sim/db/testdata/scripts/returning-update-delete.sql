# levels: read uncommitted, read committed, repeatable read, serializable
# RETURNING on UPDATE and DELETE: an update returns the rows as they are
# after it, a delete the rows as they were; a statement that touches no row
# returns no rows. Then a second session's update with RETURNING waits for a
# concurrent update of the same row.
# Expected (PostgreSQL): the rows below at every level. t2's update blocks
# on t1's row lock; once t1 commits, at read committed t2 re-reads the row
# and returns it with t1's change and its own, and at repeatable read and
# serializable it fails with 40001 (the row changed after its snapshot).
create table jobs (id int primary key, status text, attempts int)
insert into jobs (id, status, attempts) values (1, 'pending', 0), (2, 'pending', 0), (3, 'done', 1)
t1: begin transaction isolation level {level}
t1: update jobs set attempts = attempts + 1 where status = 'pending' returning *
t1: update jobs set status = 'running' where id = 1 returning id, status
t1: update jobs set status = 'x' where id = 9 returning *
t1: delete from jobs where id = 3 returning attempts, id
t1: delete from jobs where id = 3 returning *
t1: commit
t1: select * from jobs
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update jobs set attempts = attempts + 10 where id = 2 returning *
t2: update jobs set status = 'running' where id = 2 returning *    # blocks on t1
t1: commit
t2: commit
t1: select * from jobs
