# levels: read uncommitted, read committed, repeatable read, serializable
# Which plan a range predicate on a key gets decides what serializable
# locks. PostgreSQL weighs a bitmap scan of the primary key against a
# scan of the table by cost, estimating a never-analyzed table from its
# column types: for kv (two ints, narrow rows, so many per page) k > 3
# reads the index, locking its leaf and the rows it fetches; for
# idempotency_keys (wide text rows) key > 'k3' scans the table and locks
# all of it. In each round t1 reads the range and t2 changes a row outside
# it, then t2 reads a row t1 updates: by index no cycle (both commit), by
# table scan a cycle (t2 fails).
# Expected (checked on PostgreSQL 15): below serializable all commit; at
# serializable the first two rounds (k > 3, and k >= 4 and k <= 5) commit
# both, the third fails t2's commit with 40001.
create table kv (k int primary key, v int)
insert into kv values (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)
create table idempotency_keys (key text primary key, status text not null, recovery_point text, response_code int, locked_at bigint, version int)
insert into idempotency_keys (key, status, version) values ('k1', 'started', 1), ('k2', 'started', 1), ('k3', 'started', 1), ('k4', 'started', 1), ('k5', 'started', 1)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k > 3
t2: update kv set v = v + 1 where k = 1
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k >= 4 and k <= 5
t2: update kv set v = v + 1 where k = 1
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select key, status from idempotency_keys where key > 'k3'
t2: update idempotency_keys set version = version + 1 where key = 'k1'
t2: select key, version from idempotency_keys where key = 'k5'
t1: update idempotency_keys set version = version + 1 where key = 'k5'
t1: commit
t2: commit
t1: select * from kv
t1: select key, version from idempotency_keys
