# levels: read uncommitted, read committed, repeatable read, serializable
# A row replaced by a transaction that committed after this transaction's
# snapshot, while a third transaction holds its newest version. PostgreSQL
# finds the version the snapshot sees updated by a committed transaction
# (heap_update and heap_lock_tuple return TM_Updated): at repeatable read
# and serializable, where that is a serialization failure, it fails at once
# rather than wait for the newest version's holder, whatever NOWAIT says;
# a FOR KEY SHARE passes an update that left the key alone. At read
# committed the statement follows the row to its newest version and waits
# for its holder there (NOWAIT: 55P03).
# Expected (PostgreSQL): at repeatable read and serializable t1's FOR
# UPDATE NOWAIT and t3's UPDATE fail with 40001 while t5 holds the row,
# and t2's FOR KEY SHARE NOWAIT returns the row as its snapshot saw it; at
# read committed t1 fails with 55P03, t2 gets t4's version, and t3 waits
# for t5, then updates t5's version (found by the random scripts: seeds 85
# and 1767).
create table items (id int primary key, v int not null)
insert into items values (1, 0)
t1: begin transaction isolation level {level}
t1: select * from items
t2: begin transaction isolation level {level}
t2: select * from items
t3: begin transaction isolation level {level}
t3: select * from items
t4: update items set v = 1 where id = 1
t5: begin transaction isolation level {level}
t5: update items set v = 2 where id = 1
t1: select * from items where id = 1 for update nowait
t2: select * from items where id = 1 for key share nowait
t3: update items set v = v + 10 where id = 1
t5: commit
t3: commit
t2: commit
t1: commit
t4: select * from items
