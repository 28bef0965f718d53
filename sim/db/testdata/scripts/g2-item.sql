# levels: read uncommitted, read committed, repeatable read, serializable
# G2-item, write skew (Hermitage, postgres.md).
# Claims: 'Postgres "repeatable read" does not prevent Write Skew (G2-item)'
# and 'Postgres "serializable" prevents Write Skew (G2-item)' (T2's commit
# prints "could not serialize access due to read/write dependencies among
# transactions").
# Expected: both commit at read committed and repeatable read; at
# serializable t1 commits and t2's commit fails with 40001. The final
# select (not in Hermitage) shows what stuck.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where id in (1,2)
t2: select * from test where id in (1,2)
t1: update test set value = 11 where id = 1
t2: update test set value = 21 where id = 2
t1: commit
t2: commit                                      # serializable: 40001
t1: select * from test
