# levels: read uncommitted, read committed, repeatable read, serializable
# A serializable transaction that writes a row it read gives up its read
# lock on that row: PostgreSQL drops a transaction's own SIREAD lock on a
# tuple when it updates or deletes it, so the tuple no longer counts
# towards promoting its locks to the whole heap page (compare
# ssi-page-promotion). t1 reads key 1, then updates keys 2, 3 and 5 by key
# (each update reads its row, then writes it); t2 updates key 4, which t1
# never read, and reads key 5. t1 ends with one tuple lock, so only t2
# depends on t1, and both commit. In the second round t1 first reads keys
# 1, 2 and 3 with plain selects, which promotes its locks to the page
# before any update: the page lock stays, covers key 4, and closes the
# cycle.
# Why it matters to an idempotency strategy: a worker that claims and
# finishes several keys of one page in a transaction is not failed for a
# neighbour's write it never read, while one that looks first is.
# Expected (checked on PostgreSQL 15): below serializable all commit; at
# serializable both commit in the first round, and t2's commit fails with
# 40001 in the second.
create table kv (k int primary key, v int)
insert into kv values (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k = 1
t1: update kv set v = v + 1 where k = 2
t1: update kv set v = v + 1 where k = 3
t2: update kv set v = v + 1 where k = 4
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k = 1
t1: select * from kv where k = 2
t1: select * from kv where k = 3
t1: update kv set v = v + 1 where k = 2
t1: update kv set v = v + 1 where k = 3
t2: update kv set v = v + 1 where k = 4
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: select * from kv
