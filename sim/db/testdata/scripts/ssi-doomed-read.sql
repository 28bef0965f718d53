# levels: read uncommitted, read committed, repeatable read, serializable
# A serializable transaction that another's commit has doomed fails at its
# next read of any row, not only of a row someone changed. t1 and t2 each
# read a row the other then updates: a cycle of rw-dependencies. t1
# commits first, which dooms t2; t2's next statement reads row 3, which no
# one touched, and already fails.
# Expected (checked on PostgreSQL 15): below serializable all succeed; at
# serializable t1 commits and t2's read of row 3 fails with 40001 (found by
# the feature-rich random scripts: seed 11639 read such a row through an
# ORDER BY ... LIMIT that stopped before any row with a concurrent writer).
create table kv (k int primary key, v int)
insert into kv values (1, 0), (2, 0), (3, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k = 1
t2: update kv set v = 1 where k = 1
t2: select * from kv where k = 2
t1: update kv set v = 1 where k = 2
t1: commit
t2: select * from kv where k = 3
t2: commit
t1: select * from kv
