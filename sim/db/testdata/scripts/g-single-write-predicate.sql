# levels: read uncommitted, read committed, repeatable read, serializable
# G-single with a write predicate (Hermitage, postgres.md).
# Claim: 'Postgres "repeatable read" prevents Read Skew (G-single) -- test
# using write predicate.'
# Expected: after t2 commits 12 and 18, t1's delete where value = 20 fails
# with 40001 ("could not serialize access due to concurrent update") at
# repeatable read and serializable, since row 2 was updated since t1's
# snapshot; at read committed it sees 18, matches nothing: ok 0. Hermitage
# aborts t1; here t1 commits, which a failed transaction answers with
# ROLLBACK.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from test where id = 1             # 1 => 10
t2: select * from test
t2: update test set value = 12 where id = 1
t2: update test set value = 18 where id = 2
t2: commit
t1: delete from test where value = 20           # repeatable read: 40001
t1: commit
