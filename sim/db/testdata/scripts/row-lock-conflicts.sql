# levels: read uncommitted, read committed, repeatable read, serializable
# PostgreSQL's table of row-lock conflicts, probed with NOWAIT: t1 holds a
# row in one mode at a time (FOR KEY SHARE, FOR SHARE, FOR NO KEY UPDATE,
# FOR UPDATE), and t2, in autocommit, asks for the row in each mode without
# waiting.
# Expected (PostgreSQL): a request that conflicts fails at once with 55P03,
# one that does not returns the row: KEY SHARE conflicts only with UPDATE;
# SHARE with NO KEY UPDATE and UPDATE; NO KEY UPDATE with SHARE, NO KEY
# UPDATE and UPDATE; UPDATE with every mode. The same at every level.
create table accounts (id int primary key, owner text, balance int)
insert into accounts values (1, 'ann', 100)
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 1 for key share
t2: select * from accounts where id = 1 for key share nowait
t2: select * from accounts where id = 1 for share nowait
t2: select * from accounts where id = 1 for no key update nowait
t2: select * from accounts where id = 1 for update nowait
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 1 for share
t2: select * from accounts where id = 1 for key share nowait
t2: select * from accounts where id = 1 for share nowait
t2: select * from accounts where id = 1 for no key update nowait
t2: select * from accounts where id = 1 for update nowait
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 1 for no key update
t2: select * from accounts where id = 1 for key share nowait
t2: select * from accounts where id = 1 for share nowait
t2: select * from accounts where id = 1 for no key update nowait
t2: select * from accounts where id = 1 for update nowait
t1: rollback
t1: begin transaction isolation level {level}
t1: select * from accounts where id = 1 for update
t2: select * from accounts where id = 1 for key share nowait
t2: select * from accounts where id = 1 for share nowait
t2: select * from accounts where id = 1 for no key update nowait
t2: select * from accounts where id = 1 for update nowait
t1: rollback
