# levels: read uncommitted, read committed, repeatable read, serializable
# FOR KEY SHARE NOWAIT on a row another transaction is updating. While t3's
# update leaves the key alone, the key share is compatible with it and is
# granted at once. Once t3 has also changed the key (in a later statement,
# on its own newer version of the row), PostgreSQL still lets the request
# past the version it reads, then follows the row to the newer version to
# lock it too -- and there it waits for t3 to end, NOWAIT or not, outside
# the queue of t4's update and t6's delete, which wait on the row itself.
# Expected (PostgreSQL): t5's first request returns the row; its second
# blocks; when t3 rolls back, t4's update, t5's key share (the row as it
# was) and t6's delete (the row t4 left) all go on, at every level: each
# runs in its own autocommit transaction, begun after t3's update.
create table jobs (id int primary key, status text)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending')
t3: begin transaction isolation level {level}
t3: update jobs set status = 'x' where id = 3
t4: update jobs set status = 'y' where id = 3 returning *          # blocks
t5: select * from jobs where id = 3 for key share nowait            # granted
t6: delete from jobs where id = 3 returning *                       # blocks
t3: update jobs set id = 4 where id = 3
t5: select * from jobs where id = 3 for key share nowait            # blocks
t3: rollback
t1: select * from jobs order by id
