# levels: read uncommitted, read committed, repeatable read, serializable
# FOR SHARE against FOR UPDATE: two sessions may share-lock a row at once;
# a FOR UPDATE waits for both. A third share lock asked for while the FOR
# UPDATE waits is granted at once, since it conflicts with no lock held
# (PostgreSQL does not queue it behind the waiting FOR UPDATE), and the FOR
# UPDATE then waits for it too. A FOR SHARE lock also keeps a plain update
# out.
# Expected (PostgreSQL): t1 and t2 share the row; t3's FOR UPDATE blocks;
# t4's FOR SHARE returns at once; t5's update blocks. t3 resumes only when
# t1, t2 and t4 have all ended, and at read committed returns the row; t5
# resumes after t3 commits. At repeatable read and serializable nothing
# changed the row, so the same happens there.
create table accounts (id int primary key, owner text, balance int)
insert into accounts values (1, 'ann', 100)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t3: begin transaction isolation level {level}
t4: begin transaction isolation level {level}
t1: select * from accounts where id = 1 for share
t2: select * from accounts where id = 1 for share
t3: select * from accounts where id = 1 for update      # blocks
t4: select * from accounts where id = 1 for share       # granted
t5: update accounts set balance = 0 where id = 1         # blocks
t1: commit
t2: commit
t4: commit                                               # t3 resumes
t3: commit                                               # t5 resumes
t1: select * from accounts
