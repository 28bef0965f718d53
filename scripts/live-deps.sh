#!/usr/bin/env bash
# Installs the servers the live tests and idemsim's live mode run against:
# PostgreSQL 15 and Redis, and Node.js with npm for the Node.js example
# service, from Debian's packages. Prints nothing and changes nothing when
# all are already there, so CI can call it on every run.
#
# Usage, from the repository root: scripts/live-deps.sh (make live-deps)
set -euo pipefail

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
# Node.js and npm for the example service in examples/payments-node (make
# examples-node). A Node.js from elsewhere (NodeSource's bundles npm) counts.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "live-deps: missing ${missing[*]}; installing them needs root: run make live-deps as root, or apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "live-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
