# levels: read uncommitted, read committed, repeatable read, serializable
# G0, write cycles (Hermitage, postgres.md).
# Claim: 'Postgres "read committed" prevents Write Cycles (G0) by locking
# updated rows.'
# Expected: at every level t2's update of row 1 waits for t1's lock. At read
# uncommitted (= read committed) and read committed it resumes when t1
# commits, overwrites, and the final state is 1 => 12, 2 => 22. At repeatable
# read and serializable it resumes with 40001 (concurrent update), so its
# later statements fail (25P02), its commit is rolled back, and t1's 11, 21
# remain.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = 11 where id = 1
t2: update test set value = 12 where id = 1      # blocks
t1: update test set value = 21 where id = 2
t1: commit                                      # unblocks t2
t1: select * from test                          # 1 => 11, 2 => 21
t2: update test set value = 22 where id = 2
t2: commit
t1: select * from test                          # "either": 1 => 12, 2 => 22 at read committed
