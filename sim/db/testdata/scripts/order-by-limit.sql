# levels: read uncommitted, read committed, repeatable read, serializable
# ORDER BY on one or more columns, ascending and descending, with NULLs
# last ascending and first descending unless NULLS FIRST or LAST says
# otherwise; LIMIT n, LIMIT 0, LIMIT ALL and LIMIT NULL (no limit); a
# negative LIMIT is an error (2201W). The rows print in the order returned
# when the statement has ORDER BY (no two rows tie on the ORDER BY keys,
# whose order PostgreSQL leaves open).
# Expected (PostgreSQL): the rows below, at every level.
create table payments (id int primary key, client text, amount int)
insert into payments values (1, 'b', 30), (2, 'a', null), (3, 'b', 10), (4, 'a', 20), (5, 'c', 25)
t1: begin transaction isolation level {level}
t1: select * from payments order by amount
t1: select * from payments order by amount desc
t1: select * from payments order by amount nulls first
t1: select * from payments order by amount desc nulls last
t1: select * from payments order by client, amount desc
t1: select * from payments order by client desc, id limit 2
t1: select id from payments where amount is not null order by amount desc, id limit 1
t1: select * from payments order by id limit 0
t1: select * from payments order by id limit all
t1: select * from payments order by id limit null
t1: select * from payments where id in (5, 1, 3) limit 2
t1: select * from payments order by id limit -1
t1: rollback
