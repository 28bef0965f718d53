# levels: read uncommitted, read committed, repeatable read, serializable
# A statement after an error in a transaction, and the commit of that
# transaction: a duplicate insert inside a transaction poisons it.
# Position (the idempotency thread's case for simply letting requests
# collide): the loser of the race is told its key is a duplicate -- and here,
# whatever else it did in the same transaction is lost with it.
# Expected at every level: the duplicate insert fails with 23505, the next
# statement with 25P02 (in_failed_sql_transaction), and the commit is
# answered with ROLLBACK (rolled back): the payment inserted before the
# error is gone too.
create table idempotency_keys (key text primary key, status text, response int)
create table payments (key text, amount int)
insert into idempotency_keys (key, status, response) values ('k', 'started', null)
t1: begin transaction isolation level {level}
t1: insert into payments (key, amount) values ('k', 100)
t1: insert into idempotency_keys (key, status) values ('k', 'started')   # 23505
t1: select * from idempotency_keys                          # 25P02
t1: commit                                                  # rolled back
t1: select * from payments                                  # autocommit: nothing
