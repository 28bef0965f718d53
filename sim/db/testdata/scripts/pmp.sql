# levels: read uncommitted, read committed, repeatable read, serializable
# PMP, predicate-many-preceders (Hermitage, postgres.md).
# Claims: 'Postgres "read committed" does not prevent Predicate-Many-Preceders
# (PMP)' and 'Postgres "repeatable read" prevents Predicate-Many-Preceders
# (PMP).'
# Expected: t1's second predicate read returns the newly inserted (3, 30) at
# read committed, and still nothing at repeatable read and serializable. t1
# only reads, so serializable commits both.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where value = 30         # nothing
t2: insert into test (id, value) values (3, 30)
t2: commit
t1: select * from test where value % 3 = 0      # read committed: 3 => 30
t1: commit
