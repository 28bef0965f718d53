# levels: read uncommitted, read committed, repeatable read, serializable
# The companion of ssi-on-conflict-read: t2 skips key 1 and writes key 2,
# t1 read the whole table and deletes key 3, a row t2 neither read nor
# wrote. Only t1 →rw t2 exists, so one serial order (t1, t2) explains both.
# Expected (checked on PostgreSQL 15): both commit at every level; the
# SIREAD lock the skipped insert takes covers key 1's row, not the table.
create table kv (k int primary key, v int)
insert into kv (k, v) values (1, 0), (2, 0), (3, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where v % 2 = 0
t2: insert into kv (k, v) values (1, 69) on conflict do nothing
t2: update kv set v = 29 where k = 2
t1: delete from kv where k = 3
t2: commit
t1: commit
t1: select * from kv
