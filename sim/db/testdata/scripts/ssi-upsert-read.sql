# levels: read uncommitted, read committed, repeatable read, serializable
# The DO UPDATE companion of ssi-on-conflict-read: an upsert whose WHERE
# turns the update down has still read the conflicting row. t2 finds key 1
# taken and leaves it (WHERE false) after writing key 3; t1 has read the
# whole table and deletes key 1. Each depends on the other.
# Expected (PostgreSQL): both commit below serializable; at serializable
# t1's commit fails with 40001, as with DO NOTHING.
create table kv (k int primary key, v int)
insert into kv (k, v) values (1, 0), (2, 0), (3, 0)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from kv where v % 2 = 0
t2: update kv set v = 29 where k = 3
t2: insert into kv (k, v) values (1, 69) on conflict (k) do update set v = excluded.v where kv.v = 5 returning *
t1: delete from kv where k = 1
t2: commit
t1: commit
t1: select * from kv
