# levels: read uncommitted, read committed, repeatable read, serializable
# A bigserial key comes from a sequence, and taking a value from a sequence
# is not undone by a rollback: a rolled-back insert leaves a gap, and so
# does an insert that fails on a unique constraint or is skipped by ON
# CONFLICT DO NOTHING. Two open transactions get different values without
# waiting for each other.
# Expected (PostgreSQL): ids 1, 2, 3 handed out in the order the inserts
# ran, whichever commits; the rolled-back 1 and the failed 4 and skipped 5
# are never reused, so the next insert gets 6. The same at every level.
create table payments (id bigserial primary key, key text unique, amount int not null)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: insert into payments (key, amount) values ('a', 10) returning id, key
t2: insert into payments (key, amount) values ('b', 20) returning id, key
t2: insert into payments (key, amount) values ('c', 30) returning id
t1: rollback
t2: commit
t3: insert into payments (key, amount) values ('b', 40) returning id
t3: insert into payments (key, amount) values ('b', 50) on conflict do nothing returning id
t3: insert into payments (key, amount) values ('d', 60) returning *
t3: insert into payments (id, key, amount) values (100, 'e', 70) returning id
t3: insert into payments (key, amount) values ('f', 80) returning id
t3: select * from payments
