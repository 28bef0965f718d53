# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT ... ON CONFLICT DO NOTHING that skips its row has read that row.
# Claim: an "insert, or do nothing if the key exists" is a read of the key,
# so serializable must order it before a concurrent delete of the key.
# t2 skips key 1 because it exists and writes key 3; t1 has read the whole
# table and deletes key 1. Each depends on the other (t1 read what t2 wrote,
# t2 read what t1 deleted): no serial order explains both.
# Expected (checked on PostgreSQL 15): both commit below serializable; at
# serializable the skipped row is SIREAD-locked, so t1's commit fails with
# 40001.
create table kv (k int primary key, v int)
insert into kv (k, v) values (1, 0), (2, 0), (3, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where v % 2 = 0
t2: update kv set v = 29 where k = 3
t2: insert into kv (k, v) values (1, 69) on conflict do nothing
t1: delete from kv where k = 1
t2: commit
t1: commit
t1: select * from kv
