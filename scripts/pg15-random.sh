#!/usr/bin/env bash
# The randomized differential test's ground truth: generates the scripts of
# a range of seeds (sim/db/script/gen), runs each at PostgreSQL's four
# levels on a real PostgreSQL 15 and on the simulation, and writes those on
# which they agree, with PostgreSQL's output, to sim/db/testdata/random; the
# others go, with their differences, to sim/db/testdata/random-mismatch.
#
# Usage, from the repository root: scripts/pg15-random.sh [pgscript flags]
#   PG15_RANDOM_SEEDS   seeds to generate (default 1-600)
#   PG15_RANDOM_PORT    the throwaway server's port (default 55450)
#   PG15_RANDOM_JOBS    scripts run at once, one database each (default 8)
#   PG15_RANDOM_FEATURES generator features beyond today's dialect (default
#                       none; see sim/db/script/gen: switch one on once the
#                       simulator parses it)
# Extra arguments go to pgscript (e.g. -repeat 2, -features all, or -random
# and -mismatch to write elsewhere).
#
# Needs root (or a postgres user and PostgreSQL 15 already installed). It
# installs postgresql-15 if missing, starts a throwaway server in a temporary
# data directory listening on 127.0.0.1 only, with deadlock_timeout=100ms
# (the generated scripts' timing: see sim/db/script/gen/timing.go) and
# autovacuum off (an ANALYZE in the middle of a run could change a plan, and
# with it which rows SSI locks), runs tools/pgscript -random against it,
# then stops it and removes the directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
port=${PG15_RANDOM_PORT:-55450}
seeds=${PG15_RANDOM_SEEDS:-1-600}
jobs=${PG15_RANDOM_JOBS:-8}
features=${PG15_RANDOM_FEATURES:-none}

if [ ! -x "$pgbin/postgres" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "pg15-random: PostgreSQL 15 is not installed and we are not root: apt-get install -y postgresql-15" >&2
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15
fi

# The server refuses to run as root: run it as postgres when we are root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

tmp=$(mktemp -d /tmp/pg15-random.XXXXXX)
started=
cleanup() {
	if [ -n "$started" ]; then
		as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$tmp"
fi

as_pg "$pgbin/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; exit 1; }
started=1
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w start \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c deadlock_timeout=100ms -c autovacuum=off -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=$((jobs * 5 + 20))" >/dev/null ||
	{ cat "$tmp/server.log" >&2; exit 1; }

dsn="host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable"
cd "$root/tools/pgscript"
go run . -dsn "$dsn" -random ../../sim/db/testdata/random -mismatch ../../sim/db/testdata/random-mismatch \
	-seeds "$seeds" -parallel "$jobs" -features "$features" "$@"
