# levels: read uncommitted, read committed, repeatable read, serializable
# INSERT INTO t AS alias ... ON CONFLICT ... DO UPDATE SET ... WHERE, written
# as idempotency code writes it: a Brandur-style key table whose claim takes
# over a key only if nobody holds it (locked_at null) or its lock is older
# than 90 seconds, returning the key's id and recovery point through the
# alias; and a job table whose upsert names the table itself and excluded.
# Position (the thread's lease-based claim): a worker that finds a live lock
# leaves the key alone and learns nothing back, one that finds a stale lock
# takes it over and learns where the previous attempt got to.
# Expected (PostgreSQL): the new key 'n' is inserted and returned; the held
# key 'h' fails the WHERE (no row, count 0); the free key 'f' and the stale
# key 's' are taken over and returned with their recovery points; the job
# upsert updates only when the proposed run is later. RETURNING takes *,
# alias.*, expressions and aliases. The same at every level.
create table idempotency_keys (id serial primary key, key text unique, locked_at timestamptz, recovery_point text)
create table jobs (name text primary key, last_run_at timestamptz, runs int)
insert into idempotency_keys (key, locked_at, recovery_point) values ('h', now(), 'started'), ('f', null, 'charged'), ('s', timestamptz '2020-01-01 00:00:00+00', 'started')
insert into jobs values ('x', timestamptz '2026-01-01 00:00:10+00', 1)
t1: begin transaction isolation level {level}
t1: insert into idempotency_keys as k (key, locked_at, recovery_point) values ('n', now(), 'started') on conflict (key) do update set locked_at = now() where k.locked_at is null or k.locked_at < now() - interval '90 seconds' returning k.id, k.recovery_point
t1: insert into idempotency_keys as k (key, locked_at, recovery_point) values ('h', now(), 'started') on conflict (key) do update set locked_at = now() where k.locked_at is null or k.locked_at < now() - interval '90 seconds' returning k.id, k.recovery_point
t1: insert into idempotency_keys as k (key, locked_at, recovery_point) values ('h', now(), 'started') on conflict (key) do update set locked_at = now() where k.locked_at is null or k.locked_at < now() - interval '90 seconds'
t1: insert into idempotency_keys as k (key, locked_at, recovery_point) values ('f', now(), 'started'), ('s', now(), 'started') on conflict (key) do update set locked_at = now() where k.locked_at is null or k.locked_at < now() - interval '90 seconds' returning k.id, k.recovery_point
t1: insert into idempotency_keys as k (key, locked_at, recovery_point) values ('s', now(), 'started') on conflict (key) do update set recovery_point = excluded.recovery_point where k.recovery_point <> excluded.recovery_point returning k.key, recovery_point as point, k.id + 100 as shifted, id % 2, 'tag', null
t1: select key, recovery_point from idempotency_keys order by id
t1: insert into jobs (name, last_run_at, runs) values ('x', timestamptz '2026-01-01 00:00:05+00', 1) on conflict (name) do update set last_run_at = excluded.last_run_at, runs = jobs.runs + 1 where jobs.last_run_at < excluded.last_run_at returning *
t1: insert into jobs (name, last_run_at, runs) values ('x', timestamptz '2026-01-01 00:00:20+00', 1) on conflict (name) do update set last_run_at = excluded.last_run_at, runs = jobs.runs + 1 where jobs.last_run_at < excluded.last_run_at returning *
t1: insert into jobs as j (name, last_run_at, runs) values ('y', timestamptz '2026-01-01 00:00:20+00', 1) on conflict (name) do update set runs = j.runs + 1 returning j.*, *, runs - 1 = 0 as first
t1: insert into jobs as j values ('y', null, 1) on conflict on constraint jobs_pkey do update set runs = j.runs + excluded.runs returning name, runs
t1: insert into jobs as j values ('y', null, 1) on conflict on constraint jobs_pkey do nothing returning name
t1: insert into idempotency_keys as k (key) values ('s') on conflict on constraint idempotency_keys_key_key do update set recovery_point = 'again' returning k.key, k.recovery_point
t1: commit
t1: select name, runs from jobs
