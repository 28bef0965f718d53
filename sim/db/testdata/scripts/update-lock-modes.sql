# levels: read uncommitted, read committed, repeatable read, serializable
# Which row lock a writer takes: an UPDATE that changes no key column takes
# FOR NO KEY UPDATE, so a FOR KEY SHARE lock (what a foreign key check
# takes) does not block it; an UPDATE that changes the key and a DELETE
# take FOR UPDATE, which conflicts with every mode.
# Expected (PostgreSQL): t2's FOR KEY SHARE NOWAIT returns the row while t1
# holds it after a plain update, and fails with 55P03 after a key-changing
# update or a delete. With t3 holding FOR KEY SHARE, t1's plain update goes
# through at once, while its key change blocks until t3 commits.
create table accounts (id int primary key, owner text, balance int)
insert into accounts values (1, 'ann', 100), (2, 'bob', 50)
t1: begin transaction isolation level {level}
t1: update accounts set balance = balance - 10 where id = 1
t2: select * from accounts where id = 1 for key share nowait
t1: rollback
t1: begin transaction isolation level {level}
t1: update accounts set id = 10 where id = 1
t2: select * from accounts where id = 1 for key share nowait
t1: rollback
t1: begin transaction isolation level {level}
t1: delete from accounts where id = 1
t2: select * from accounts where id = 1 for key share nowait
t1: rollback
t3: begin transaction isolation level {level}
t3: select * from accounts where id = 2 for key share
t1: begin transaction isolation level {level}
t1: update accounts set balance = balance + 5 where id = 2 returning *
t1: update accounts set id = 20 where id = 2    # blocks on t3's key share
t3: commit
t1: commit
t1: select * from accounts
