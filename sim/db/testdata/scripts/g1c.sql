# levels: read uncommitted, read committed, repeatable read, serializable
# G1c, circular information flow (Hermitage, postgres.md).
# Claim: 'Postgres "read committed" prevents Circular Information Flow
# (G1c).'
# Expected: each transaction reads the other's row as it was before the
# other's uncommitted update (2 => 20, 1 => 10). Both commit at read
# committed and repeatable read; at serializable the two reads form a
# read/write cycle and the second to commit (t2) fails with 40001.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = 11 where id = 1
t2: update test set value = 22 where id = 2
t1: select * from test where id = 2             # still 2 => 20
t2: select * from test where id = 1             # still 1 => 10
t1: commit
t2: commit
