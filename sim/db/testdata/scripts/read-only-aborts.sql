# levels: read committed, repeatable read, serializable
# A transaction that only reads can fail at serializable: the read-only
# anomaly of batch processing. t1 records a receipt in the current batch,
# t2 closes the batch, t3 reports the closed batch. t3 saw t2's close but
# not t1's receipt, so no serial order fits all three; t1 and t2 have
# committed, so PostgreSQL can only abort the reader.
create table control (id int primary key, batch int not null)
create table receipts (id int primary key, batch int not null, amount int not null)
insert into control (id, batch) values (1, 1)
insert into receipts (id, batch, amount) values (1, 1, 100)
t1: begin isolation level {level}
t1: select batch from control where id = 1
t2: begin isolation level {level}
t2: update control set batch = batch + 1 where id = 1
t2: commit
t3: begin isolation level {level}
t3: select batch from control where id = 1
t1: insert into receipts (id, batch, amount) values (2, 1, 50)
t1: commit
t3: select count(*) from receipts where batch = 1
t3: commit
