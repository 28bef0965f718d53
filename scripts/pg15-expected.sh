#!/usr/bin/env bash
# Regenerates the PostgreSQL 15 ground truth for the simulated database:
# runs every sim/db/testdata/scripts/*.sql on a real PostgreSQL 15 at each
# level it declares and writes the .pg15 files beside the scripts.
#
# Usage, from the repository root: scripts/pg15-expected.sh
#
# Needs root (or a postgres user and PostgreSQL 15 already installed). It
# installs postgresql-15 if missing, starts a throwaway server in a temporary
# data directory listening on 127.0.0.1 only, with deadlock_timeout=200ms,
# runs tools/pgscript against it, then stops it and removes the directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
port=${PG15_PORT:-55439}

if [ ! -x "$pgbin/postgres" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "pg15-expected: PostgreSQL 15 is not installed and we are not root: apt-get install -y postgresql-15" >&2
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

tmp=$(mktemp -d /tmp/pg15-expected.XXXXXX)
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
	-o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c deadlock_timeout=200ms -c fsync=off" >/dev/null ||
	{ cat "$tmp/server.log" >&2; exit 1; }

dsn="host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable"
cd "$root/tools/pgscript"
go run . -dsn "$dsn" -write ../../sim/db/testdata/scripts
