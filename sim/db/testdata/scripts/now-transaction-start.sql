# levels: read uncommitted, read committed, repeatable read, serializable
# now() is the time the transaction began — its BEGIN, or the statement
# itself outside a transaction block — and stays put while the transaction
# runs, also as a column default; a later transaction's now() is later. t3
# waits a second (and the runner with it) on a lock t2 holds, so time
# passes between t1's start and the last statement.
# Expected (PostgreSQL): both rows t1 inserts carry t1's now(), which still
# equals now() after the wait; a transaction begun after the wait sees
# both rows as more than a second old. The same at every level.
create table events (id int primary key, at timestamptz default now())
create table gate (id int primary key)
insert into gate values (1)
t1: begin transaction isolation level {level}
t1: insert into events (id) values (1)
t1: select id from events where at = now()
t1: insert into events (id, at) values (2, now())
t2: begin transaction isolation level {level}
t2: select * from gate where id = 1 for update
t3: select * from gate where id = 1 for update    # waits a second
t2: commit
t1: select count(*) from events where at = now() and at <= current_timestamp
t1: commit
t4: begin transaction isolation level {level}
t4: select count(*) from events where at < now() - interval '1 second'
t4: select count(*) from events where now() - at > interval '1 second' and now() - at < interval '1 hour'
t4: commit
