# levels: read uncommitted, read committed, repeatable read, serializable
# How the access path shapes serializable's read locks. t1 reads two keys
# with IN — an index lookup, which locks just those keys — and t2 reads a
# third; each then updates a row only the other read. Then the same with a
# condition no index can answer (v + k < 3, true of the same two rows),
# which takes a scan of the whole table, whose read lock covers every row.
# Expected (PostgreSQL): below serializable all commit. At serializable the
# IN round commits both (only t2 depends on t1), while in the second round
# t1's lock covers the row t2 updates as well, the dependencies form a
# cycle, and t2's commit fails with 40001.
create table kv (k int primary key, v int)
insert into kv values (1, 0), (2, 0), (3, 0), (4, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k in (1, 2)
t2: select * from kv where k = 4
t2: update kv set v = v + 1 where k = 3
t1: update kv set v = v + 1 where k = 4
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where v + k < 3
t2: select * from kv where k = 4
t2: update kv set v = v + 1 where k = 3
t1: update kv set v = v + 1 where k = 4
t1: commit
t2: commit
t1: select * from kv
