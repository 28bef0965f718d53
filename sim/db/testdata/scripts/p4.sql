# levels: read uncommitted, read committed, repeatable read, serializable
# P4, lost update (Hermitage, postgres.md).
# Claims: 'Postgres "read committed" does not prevent Lost Update (P4)' and
# 'Postgres "repeatable read" prevents Lost Update (P4).'
# Expected: t2's update waits for t1's lock. At read committed it resumes
# when t1 commits and overwrites t1's update ("T1's update is overwritten").
# At repeatable read and serializable it resumes with 40001 ("could not
# serialize access due to concurrent update"). Hermitage aborts t2 there;
# here t2 commits, which a failed transaction answers with ROLLBACK. The
# final select (not in Hermitage) shows the committed value.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where id = 1
t2: select * from test where id = 1
t1: update test set value = 11 where id = 1
t2: update test set value = 11 where id = 1      # blocks
t1: commit                                      # unblocks t2
t2: commit
t1: select * from test where id = 1
