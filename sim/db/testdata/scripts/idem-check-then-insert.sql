# levels: read uncommitted, read committed, repeatable read, serializable
# Check-then-insert without a unique constraint: two requests with the same
# key each look the key up inside a transaction, find nothing, and insert.
# Position (the idempotency thread's recipe of a transaction around a
# lookup and an insert): open a transaction, look the key up, insert the
# payment with its key when the lookup finds nothing, commit. And, from the
# same thread, the warning for serializable: both concurrent transactions get
# past the lookup and insert, and the clash surfaces only when the later one
# commits.
# Expected: nothing blocks. Both commit at read committed and repeatable
# read: the key is charged twice. At serializable t2's commit fails with
# 40001 and one payment remains.
create table payments (key text, amount int)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select * from payments where key = 'k'      # nothing
t2: select * from payments where key = 'k'      # nothing
t1: insert into payments (key, amount) values ('k', 100)
t2: insert into payments (key, amount) values ('k', 100)
t1: commit
t2: commit                                      # serializable: 40001
t1: select * from payments
