#!/usr/bin/env bash
# `make demo`: start the embedded test portal, push samples/ into it, push again to show that
# nothing changes, list what the portal's calendar holds, verify it matches the samples, stop
# the portal.
set -euo pipefail
bin=${1:-.venv/bin}
work=$(mktemp -d)
portal_pid=
cleanup() {
  if [ -n "$portal_pid" ]; then kill "$portal_pid" 2>/dev/null || true; wait "$portal_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/ics2b24" portal serve --port 0 >"$work/url" 2>"$work/portal.log" &
portal_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "the test portal did not start:" >&2; cat "$work/portal.log" >&2; exit 1; }
B24_WEBHOOK=$(cat "$work/url")
export B24_WEBHOOK
echo "== the embedded test portal is listening on $(sed -E 's#(https?://[^/]+)/.*#\1#' "$work/url")"

target=(--type user --owner 1 --section-name "Imported from samples" --state "$work/state.sqlite3")

echo
echo "== 1. push samples/*.ics (first run: everything is new)"
"$bin/ics2b24" push samples/*.ics "${target[@]}" 2>&1
echo
echo "== 2. push the same files again (nothing changed, so no write call is sent)"
"$bin/ics2b24" push samples/*.ics "${target[@]}" 2>&1 | tail -n 1
echo
echo "== 3. the portal's calendar now, from March to December 2025, one line per occurrence"
"$bin/ics2b24" events list "${target[@]}" --from 2025-03-01 --to 2025-12-31 2>&1
echo
echo "== 4. verify: read the calendar back and compare it with the samples, occurrence by occurrence"
"$bin/ics2b24" verify samples/*.ics "${target[@]}" 2>&1 | tail -n 1
echo
echo "== stopping the test portal"
