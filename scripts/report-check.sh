#!/usr/bin/env bash
# Opens every page of the report in headless Chromium, offline, at a
# laptop's width, and fails if an image does not load, a page logs anything
# to the console, or a page (or one of its tables) is wider than the
# window; takes a screenshot of each page, whole, for a person to look at.
#
# Usage, from the repository root: scripts/report-check.sh [RESULTS [SHOTS]]
# (defaults: results, and $TMPDIR/idemsim-report, which gets one PNG per
# page: index.png, experiment-NAME.png, strategy-NAME.png, ...).
#
# Installs Debian's chromium with apt-get when it is missing (needs root).
# Each page marks its <body>, once loaded, with "N images, M broken" and
# with its size and how many of its tables overflow their box ("WxH, K wide
# tables"); the check reads both from the DOM Chromium dumps, and every
# console line from Chromium's log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
results=${1:-$root/results}
shots=${2:-${TMPDIR:-/tmp}/idemsim-report}
width=1280
maxHeight=30000

if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "report-check: chromium is not installed and we are not root: apt-get install -y chromium" >&2
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if [ ! -f "$results/index.html" ]; then
	echo "report-check: $results/index.html does not exist (make report writes it)" >&2
	exit 1
fi
results=$(cd "$results" && pwd)
mkdir -p "$shots"

tmp=$(mktemp -d /tmp/report-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# No network: a proxy that does not exist catches any fetch a page would
# make, which then fails as a broken resource.
chrome=(chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$tmp/profile"
	--proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 --virtual-time-budget=5000 --hide-scrollbars)

# shotName maps a page to its screenshot's name.
shotName() {
	case "$1" in
	index.html) echo index.png ;;
	strategies/*.html) f=${1#strategies/}; echo "strategy-${f%.html}.png" ;;
	*/index.html) echo "experiment-${1%/index.html}.png" ;;
	*) f=${1%.html}; echo "${f//\//-}.png" ;;
	esac
}

status=0
pages=0
images=0
index_size=
while IFS= read -r rel; do
	page=$results/$rel
	url="file://$page"
	pages=$((pages + 1))
	"${chrome[@]}" --window-size=$width,900 --dump-dom "$url" >"$tmp/dom.html" 2>"$tmp/log.txt" || {
		cat "$tmp/log.txt" >&2
		echo "report-check: chromium failed on $rel" >&2
		status=1
		continue
	}
	want=$( (grep -o '<img ' "$page" || true) | wc -l)
	images=$((images + want))
	marker=$(grep -o 'data-images="[^"]*"' "$tmp/dom.html" || true)
	if [ "$marker" != "data-images=\"$want images, 0 broken\"" ]; then
		echo "report-check: $rel: want all $want images loaded, the page says: ${marker:-nothing (its check did not run)}" >&2
		status=1
	fi
	if grep -E 'CONSOLE|Failed to load resource|Uncaught' "$tmp/log.txt" >&2; then
		echo "report-check: $rel logged to the console (above)" >&2
		status=1
	fi
	size=$(grep -o 'data-size="[^"]*"' "$tmp/dom.html" | sed 's/data-size="\(.*\)"/\1/' || true)
	w=${size%%x*}
	rest=${size#*x}
	h=${rest%%,*}
	wide=$(echo "$size" | sed -n 's/.*, \([0-9]*\) wide tables/\1/p')
	if [ -z "$size" ] || [ "$w" -gt "$width" ] || [ "${wide:-1}" -ne 0 ]; then
		echo "report-check: $rel: wider than a ${width}px window (the page says: ${size:-nothing})" >&2
		status=1
	fi
	[ "$rel" = index.html ] && index_size="${width}x$h"
	shot=$shots/$(shotName "$rel")
	"${chrome[@]}" --window-size=$width,$(( h > maxHeight ? maxHeight : h )) --screenshot="$shot" "$url" >/dev/null 2>"$tmp/shot.txt" || {
		cat "$tmp/shot.txt" >&2
		echo "report-check: chromium could not take the screenshot of $rel" >&2
		status=1
	}
	if [ ! -s "$shot" ]; then
		echo "report-check: no screenshot at $shot" >&2
		status=1
	fi
done < <(cd "$results" && { echo index.html; find . -name '*.html' ! -path ./index.html | sed 's|^\./||' | sort; })

if [ "$status" -eq 0 ]; then
	echo "report-check: $pages pages, $images images loaded, no console message, none wider than ${width}px; index ${index_size}px; screenshots in $shots"
fi
exit "$status"
