# levels: read uncommitted, read committed, repeatable read, serializable
# boolean columns and literals: true, false, a string read as a boolean,
# a boolean column as a WHERE condition by itself and under NOT, and NULL
# treated as unknown (neither true nor false).
# Expected (PostgreSQL): the rows below, printed t and f, at every level;
# an integer where a boolean is needed is 42804.
create table payments (id int primary key, paid boolean, refunded bool default false)
insert into payments values (1, true, false), (2, false, default), (3, null, 't'), (4, 'yes', 'off')
t1: begin transaction isolation level {level}
t1: select * from payments order by id
t1: select id from payments where paid order by id
t1: select id from payments where not paid order by id
t1: select id from payments where paid is null
t1: select id from payments where paid = true and not refunded order by id
t1: select id from payments where paid or refunded order by id
t1: update payments set refunded = not refunded where paid returning id, refunded
t1: select id from payments where paid <> refunded order by id
t1: select id from payments where id
t1: rollback
