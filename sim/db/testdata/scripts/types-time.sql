# levels: read uncommitted, read committed, repeatable read, serializable
# timestamptz and interval columns: typed literals, a string literal read
# as the column's type, arithmetic (timestamptz + interval, timestamptz -
# interval, timestamptz - timestamptz = interval with whole days split
# off, interval + interval), comparisons of timestamps and of intervals (a
# day equals 24 hours), and PostgreSQL's text output with TimeZone UTC
# (tools/pgscript sets it on its sessions).
# Expected (PostgreSQL): the values below, at every level; a field out of
# range is 22008, a unit given twice 22007, and comparing a timestamptz
# with an integer 42883.
create table leases (id int primary key, locked_at timestamptz, expires_at timestamp with time zone, ttl interval, held interval)
insert into leases values (1, timestamptz '2026-01-01 00:00:05+00', null, interval '90 seconds', null)
insert into leases values (2, '2026-03-01 23:59:59.5+02:30', null, '1 day 2 hours', null)
insert into leases values (3, timestamptz '2025-12-31 12:00:00Z', null, interval '-5 minutes 3 microseconds', null)
t1: begin transaction isolation level {level}
t1: update leases set expires_at = locked_at + ttl returning id, expires_at
t1: update leases set held = expires_at - timestamptz '2026-01-01 00:00:00+00' returning id, held
t1: update leases set held = held + interval '1 week' - ttl where id = 2 returning held
t1: update leases set held = timestamptz '2026-01-01 00:00:00+00' - expires_at where id = 3 returning held
t1: select id from leases where expires_at < timestamptz '2026-01-01 00:01:00+00' order by id
t1: select id from leases where expires_at >= '2026-01-01 00:00:00+00' and ttl > interval '1 minute' order by id
t1: select id from leases where interval '1 day' = interval '24 hours' and ttl = interval '26 hours'
t1: select id from leases where locked_at - interval '1 day' < timestamptz '2025-12-31 00:00:00+00'
t1: select * from leases where id = 1
t1: update leases set held = -ttl where id = 3 returning ttl, held
t1: select * from leases where locked_at = 5
t1: rollback
t2: select * from leases where locked_at = timestamptz '2026-02-30 00:00:00+00'
t2: select * from leases where ttl = interval '1 second 2 seconds'
