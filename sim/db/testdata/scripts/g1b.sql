# levels: read uncommitted, read committed, repeatable read, serializable
# G1b, intermediate reads (Hermitage, postgres.md).
# Claim: 'Postgres "read committed" prevents Intermediate Reads (G1b).'
# Expected: t2 never sees t1's intermediate 101. After t1 commits, t2 sees
# the final 11 at read uncommitted and read committed (a new snapshot per
# statement), and still 10 at repeatable read and serializable (one snapshot
# for the transaction).
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = 101 where id = 1
t2: select * from test                          # still 1 => 10
t1: update test set value = 11 where id = 1
t1: commit
t2: select * from test                          # read committed: now 1 => 11
t2: commit
