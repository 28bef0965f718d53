# levels: read uncommitted, read committed, repeatable read, serializable
# WHERE as a full expression: AND, OR, NOT and parentheses with SQL's
# precedence; = <> != < <= > >=; IS [NOT] NULL; [NOT] IN with a NULL in the
# list (three-valued: x NOT IN (1, NULL) is never true); +, - and % on
# integers; a string literal read as the column's type; and UPDATE SET
# with expressions over the row's own columns.
# Expected (PostgreSQL): the rows below, at every level; an int overflow is
# 22003, % by zero 22012, and text compared with an integer 42883.
create table jobs (id int primary key, status text, attempts int, priority bigint)
insert into jobs values (1, 'pending', 0, 5), (2, 'running', 2, 1), (3, 'failed', 5, null), (4, 'pending', 1, 3), (5, null, null, 2)
t1: begin transaction isolation level {level}
t1: select id from jobs where status = 'pending' or status = 'failed' and attempts < 5 order by id
t1: select id from jobs where (status = 'pending' or status = 'failed') and attempts < 5 order by id
t1: select id from jobs where not (status = 'pending') order by id
t1: select id from jobs where status <> 'pending' and attempts != 2 order by id
t1: select id from jobs where attempts >= 1 and attempts <= 2 and priority > 1 order by id
t1: select id from jobs where status is null or priority is null order by id
t1: select id from jobs where status is not null and attempts is not null and id > 3 order by id
t1: select id from jobs where id in (1, 3, null) order by id
t1: select id from jobs where id not in (1, 3) order by id
t1: select id from jobs where id not in (1, null) order by id
t1: select id from jobs where attempts + 1 = id - 0 order by id
t1: select id from jobs where id % 2 = 1 and -priority < -2 order by id
t1: select id from jobs where attempts = '2'
t1: select id from jobs where 3 < priority and 'pending' = status
t1: rollback
t1: begin transaction isolation level {level}
t1: update jobs set attempts = attempts + 1, status = 'retry' where status = 'failed' or attempts is null returning *
t1: update jobs set priority = priority - attempts % 2, attempts = 0 where id in (1, 2) returning id, priority, attempts
t1: update jobs set attempts = 2147483647 + attempts where id = 4
t1: rollback
t1: begin transaction isolation level {level}
t1: select id from jobs where attempts % 0 = 1
t1: rollback
t1: select id from jobs where status = 1
t1: select * from jobs order by id
