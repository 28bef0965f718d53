# levels: read uncommitted, read committed, repeatable read, serializable
# PostgreSQL's lock promotion: a serializable transaction that fetched
# three rows of one heap page by key holds a lock on the whole page instead
# of the three tuples. t1 reads keys 1, 2 and 3 one by one and updates key
# 5; t2 updates key 4, which t1 never read, and reads key 5. t2 read what
# t1 wrote, and t1's page lock covers the row t2 wrote: a cycle, where a
# lock per tuple would have seen only t2 depending on t1.
# Expected (checked on PostgreSQL 15): below serializable all commit; at
# serializable t1 commits first and t2's commit fails with 40001. Reading
# only keys 1 and 2 (two tuple locks, no promotion) both commit: the
# second round.
create table kv (k int primary key, v int)
insert into kv values (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k = 1
t1: select * from kv where k = 2
t1: select * from kv where k = 3
t2: update kv set v = v + 1 where k = 4
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where k = 1
t1: select * from kv where k = 2
t2: update kv set v = v + 1 where k = 4
t2: select * from kv where k = 5
t1: update kv set v = v + 1 where k = 5
t1: commit
t2: commit
t1: select * from kv
