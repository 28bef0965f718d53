# levels: read uncommitted, read committed, repeatable read, serializable
# G2 with two anti-dependency edges: Fekete et al.'s example (Hermitage,
# postgres.md).
# Claim: 'Postgres "serializable" prevents Anti-Dependency Cycles (G2) --
# Fekete et al's example with two anti-dependency edges.'
# Expected: t1 reads 1 => 10, 2 => 20; t2 adds 5 to row 2 and commits; t3
# reads 1 => 10, 2 => 25 and commits; then t1's update of row 1 fails at
# serializable with 40001 ("read/write dependencies among transactions"),
# while it succeeds at the other levels. Hermitage aborts t1; here t1
# commits (rolled back where it failed) and a final select shows the state.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t1: select * from test                          # 1 => 10, 2 => 20
t2: begin transaction isolation level {level}
t2: update test set value = value + 5 where id = 2
t2: commit
t3: begin transaction isolation level {level}
t3: select * from test                          # 1 => 10, 2 => 25
t3: commit
t1: update test set value = 0 where id = 1       # serializable: 40001
t1: commit
t2: select * from test
