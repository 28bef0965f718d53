# levels: read uncommitted, read committed, repeatable read, serializable
# G1a, aborted reads (Hermitage, postgres.md).
# Claim: 'Postgres "read committed" prevents Aborted Reads (G1a).'
# Expected at every level (read uncommitted is read committed in
# PostgreSQL): t2 never sees t1's uncommitted, later aborted 101.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = 101 where id = 1
t2: select * from test                          # still 1 => 10
t1: abort
t2: select * from test                          # still 1 => 10
t2: commit
