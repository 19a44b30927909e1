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
echo "== 3. the portal's calendar now"
"$bin/python" - <<'PY'
import os
import requests

hook = os.environ["B24_WEBHOOK"]
rows = requests.post(hook + "calendar.event.get", json={
    "type": "user", "ownerId": 1, "from": "2000-01-01", "to": "2037-12-31"}, timeout=30).json()["result"]
events = {}
for row in rows:
    events.setdefault(row["ID"], (row, 0))
    events[row["ID"]] = (events[row["ID"]][0], events[row["ID"]][1] + 1)
for row, count in sorted(events.values(), key=lambda item: item[0]["DATE_FROM_TS_UTC"]):
    repeat = f"  ({count} occurrences)" if row.get("RRULE") else ""
    print(f"  {row['DATE_FROM']:<24} {row['NAME']}{repeat}")
print(f"  {len(events)} events, {len(rows)} occurrences")
PY
echo
echo "== 4. verify: read the calendar back and compare it with the samples, occurrence by occurrence"
"$bin/ics2b24" verify samples/*.ics "${target[@]:0:6}" 2>&1 | tail -n 1
echo
echo "== stopping the test portal"
