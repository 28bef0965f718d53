# levels: read uncommitted, read committed, repeatable read, serializable
# Check-then-insert without a unique constraint: two requests with the same
# key each look the key up inside a transaction, find nothing, and insert.
# Claim (the idempotency thread): "Start a transaction / Lookup 'does this
# idempotency key already exist' / If it doesn't, insert the payment record
# with the idempotency key / Commit the transaction", and, for serializable,
# "if you have two transactions simultaneously which do 'check if value XYZ
# exists; if it doesn't exist, insert it' they will both run the insert. The
# collision will only be detected when the second transaction tries to
# commit."
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
