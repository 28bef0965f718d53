# levels: read uncommitted, read committed, repeatable read, serializable
# FOR KEY SHARE on rows another transaction updated and committed after
# this transaction's snapshot: row 1 with its key left alone, row 2 with
# its key changed. A key share guards only the key, so PostgreSQL locks the
# version the snapshot sees and returns it when the key did not change;
# FOR SHARE, which guards the whole row, does not.
# Expected (PostgreSQL): at read committed every statement sees t2's
# committed rows, and all locks are granted. At repeatable read and
# serializable the key share on row 1 returns the row as the snapshot saw
# it, while on row 2 (key changed) it fails with 40001; in a second
# transaction, FOR SHARE on row 1 fails with 40001 too.
create table accounts (id int primary key, owner text, balance int)
insert into accounts values (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 10)
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 3
t2: update accounts set balance = balance + 1 where id = 1
t2: update accounts set id = 20 where id = 2
t1: select * from accounts where id = 1 for key share
t1: select * from accounts where id = 1 for key share nowait
t1: select * from accounts where id = 2 for key share
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 3
t2: update accounts set balance = balance + 1 where id = 1
t1: select * from accounts where id = 1 for share
t1: rollback
t1: select * from accounts order by id
