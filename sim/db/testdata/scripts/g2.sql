# levels: read uncommitted, read committed, repeatable read, serializable
# G2, anti-dependency cycles (Hermitage, postgres.md).
# Claims: 'Postgres "repeatable read" does not prevent Anti-Dependency Cycles
# (G2)' and 'Postgres "serializable" prevents Anti-Dependency Cycles (G2)'
# (T2's commit prints "could not serialize access due to read/write
# dependencies among transactions").
# Expected: each predicate read finds nothing divisible by 3; both inserts
# succeed. Both commit at read committed and repeatable read, and the final
# read returns 3 => 30, 4 => 42; at serializable t2's commit fails with 40001
# and only 3 => 30 is there.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where value % 3 = 0
t2: select * from test where value % 3 = 0
t1: insert into test (id, value) values (3, 30)
t2: insert into test (id, value) values (4, 42)
t1: commit
t2: commit                                      # serializable: 40001
t1: select * from test where value % 3 = 0      # "either"
