#!/usr/bin/env bash
# Opens the report page in headless Chromium, offline, and fails if an image
# does not load or the page logs anything to the console; takes a
# screenshot for a person to look at.
#
# Usage, from the repository root: scripts/report-check.sh [PAGE [SCREENSHOT]]
# (defaults: results/index.html, and $TMPDIR/idemsim-report.png).
#
# Installs Debian's chromium with apt-get when it is missing (needs root).
# The page marks its <body> with "N images, M broken" once loaded (its own
# script checks every <img>); the check reads that from the DOM Chromium
# dumps, and every console line from Chromium's log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
page=${1:-$root/results/index.html}
shot=${2:-${TMPDIR:-/tmp}/idemsim-report.png}

if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "report-check: chromium is not installed and we are not root: apt-get install -y chromium" >&2
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if [ ! -f "$page" ]; then
	echo "report-check: $page does not exist (make report writes it)" >&2
	exit 1
fi
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"

tmp=$(mktemp -d /tmp/report-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# No network: a proxy that does not exist catches any fetch the page would
# make, which then fails as a broken resource.
chrome=(chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$tmp/profile"
	--proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 --virtual-time-budget=5000)

"${chrome[@]}" --dump-dom "$url" >"$tmp/dom.html" 2>"$tmp/log.txt" || {
	cat "$tmp/log.txt" >&2
	echo "report-check: chromium failed on $url" >&2
	exit 1
}
want=$( (grep -o '<img ' "$page" || true) | wc -l)
marker=$(grep -o 'data-images="[^"]*"' "$tmp/dom.html" || true)
status=0
if [ "$marker" != "data-images=\"$want images, 0 broken\"" ]; then
	echo "report-check: want all $want images loaded, the page says: ${marker:-nothing (its check did not run)}" >&2
	status=1
fi
if grep -E 'CONSOLE|Failed to load resource|Uncaught' "$tmp/log.txt" >&2; then
	echo "report-check: the page logged to the console (above)" >&2
	status=1
fi

"${chrome[@]}" --hide-scrollbars --window-size=1200,2400 --screenshot="$shot" "$url" >/dev/null 2>"$tmp/shot.txt" || {
	cat "$tmp/shot.txt" >&2
	echo "report-check: chromium could not take the screenshot" >&2
	exit 1
}
if [ ! -s "$shot" ]; then
	echo "report-check: no screenshot at $shot" >&2
	exit 1
fi
if [ "$status" -eq 0 ]; then
	echo "report-check: $want images loaded, no console message; screenshot $shot"
fi
exit "$status"
