# What PostgreSQL refuses around an INSERT's alias and EXCLUDED, each
# statement on its own (no transaction): the table's name once an alias
# hides it (42P01), in DO UPDATE's WHERE and in RETURNING; excluded in
# RETURNING or in VALUES (42P01); the target named in VALUES (42P01), or a
# bare column there (42703); a bare column in DO UPDATE (42702); a column
# the alias or excluded does not have (42703); a qualifier that names no
# table (42P01); an alias "excluded" that makes excluded.c ambiguous
# (42P09), though the statement runs when it names neither; a constraint
# that does not exist (42704); an alias without AS (42601).
# Position: none of the thread's; these keep the dialect PostgreSQL's.
# Expected (PostgreSQL): the error codes below; the two statements that
# are valid insert their row.
create table jobs (name text primary key, last_run_at timestamptz, runs int)
insert into jobs values ('a', null, 1)
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = 2 where jobs.runs = 1
t1: insert into jobs as j values ('b', null, 1) returning jobs.name
t1: insert into jobs as j values ('b', null, 1) returning excluded.name
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = 2 returning excluded.name
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do nothing returning excluded.name
t1: insert into jobs as j values (excluded.name, null, 1)
t1: insert into jobs as j values (j.name, null, 1)
t1: insert into jobs values (jobs.name, null, 1)
t1: insert into jobs as j values (name, null, 1)
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = 2 where runs = 1
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = 2 where j.nope = 1
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = excluded.nope
t1: insert into jobs as j values ('a', null, 1) on conflict (name) do update set runs = x.runs
t1: insert into jobs as excluded values ('a', null, 1) on conflict (name) do update set runs = excluded.runs + 1
t1: insert into jobs as excluded values ('a', null, 1) on conflict (name) do update set runs = 7 returning excluded.runs
t1: insert into jobs as j values ('a', null, 1) on conflict on constraint jobs_nope do nothing
t1: insert into jobs j values ('c', null, 1)
t1: insert into jobs values ('c', null, 1) returning jobs.name, jobs.*
t1: select name, runs from jobs
