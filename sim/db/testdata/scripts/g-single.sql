# levels: read uncommitted, read committed, repeatable read, serializable
# G-single, read skew (Hermitage, postgres.md).
# Claims: 'Postgres "read committed" does not prevent Read Skew (G-single)'
# and 'Postgres "repeatable read" prevents Read Skew (G-single).'
# Expected: t1 read 1 => 10 before t2's committed update of both rows; its
# read of row 2 afterwards shows 2 => 18 at read committed (skew) and
# 2 => 20 at repeatable read and serializable. Both commit at every level
# (t1 only reads).
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where id = 1             # 1 => 10
t2: select * from test where id = 1
t2: select * from test where id = 2
t2: update test set value = 12 where id = 1
t2: update test set value = 18 where id = 2
t2: commit
t1: select * from test where id = 2             # read committed: 2 => 18; repeatable read: 2 => 20
t1: commit
