# Unknown tables, in setup and in a session (no levels).
# Claim: a statement on a table that does not exist fails with 42P01
# (undefined_table); a failing setup line is printed and the script goes on.
# Expected: the setup insert prints `setup: ... => error 42P01`; the session
# statements fail with 42P01, except `drop table if exists`, which is ok.
create table test (id int primary key, value int)
insert into nosuch (id) values (1)
t1: select * from nosuch                        # 42P01
t1: insert into nosuch (id) values (1)          # 42P01
t1: drop table nosuch                           # 42P01
t1: drop table if exists nosuch                 # ok
t1: select count(*) from test
