# levels: read uncommitted, read committed, repeatable read, serializable
# OTV, observed transaction vanishes (Hermitage, postgres.md).
# Claim: 'Postgres "read committed" prevents Observed Transaction Vanishes
# (OTV).'
# Expected: at read committed t2 waits for t1's lock on row 1, then
# overwrites; t3 sees 1 => 11, 2 => 19, then after t2 commits 2 => 18,
# 1 => 12, never a mix that loses t1. At repeatable read and serializable t2
# resumes with 40001 and t3, whose snapshot is taken at its first select
# (after t1 committed), sees 11 and 19 throughout.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t1: update test set value = 11 where id = 1
t1: update test set value = 19 where id = 2
t2: update test set value = 12 where id = 1      # blocks
t1: commit                                      # unblocks t2
t3: select * from test where id = 1             # 1 => 11
t2: update test set value = 18 where id = 2
t3: select * from test where id = 2             # 2 => 19
t2: commit
t3: select * from test where id = 2             # read committed: 2 => 18
t3: select * from test where id = 1             # read committed: 1 => 12
t3: commit
