# levels: read uncommitted, read committed, repeatable read, serializable
# G-single with predicate dependencies (Hermitage, postgres.md).
# Claim: 'Postgres "repeatable read" prevents Read Skew (G-single) -- test
# using predicate dependencies.'
# Expected: t1's first predicate read sees 1 => 10 and 2 => 20. After t2
# commits value 12 for row 1, t1's second predicate read returns nothing at
# repeatable read and serializable, and 1 => 12 at read committed.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where value % 5 = 0
t2: update test set value = 12 where value = 10
t2: commit
t1: select * from test where value % 3 = 0      # repeatable read: nothing
t1: commit
