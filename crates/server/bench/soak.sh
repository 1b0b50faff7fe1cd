#!/usr/bin/env bash
# Soak benchmark (issue 14; not run in CI): DURATION seconds of mixed load on one `serve` process over a SQLite
# store, in WINDOW-second windows: intake, case reads, workflow actions and the public page, each from its own
# paced wrk process. Reports per window and route the requests, errors (connection errors and any 4xx/5xx;
# must be 0), p50/p99 latency, and the server's resident memory (must stay flat).
#
#   BIN=target/release/rightsgate DURATION=600 WINDOW=60 crates/server/bench/soak.sh
#
# Rates (connections x 1000 / delay): intake INTAKE_CONNS/INTAKE_DELAY_MS, reads READ_CONNS/READ_DELAY_MS,
# actions one connection every ACT_DELAY_MS, public page PUBLIC_CONNS/PUBLIC_DELAY_MS. The defaults offer about
# half of what this 2-core machine measured for each route alone (intake ~2,000 req/s, see the README).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="${BIN:-target/release/rightsgate}"
DURATION="${DURATION:-600}"; WINDOW="${WINDOW:-60}"; PORT="${PORT:-18099}"
INTAKE_CONNS="${INTAKE_CONNS:-4}"; INTAKE_DELAY_MS="${INTAKE_DELAY_MS:-8}"
READ_CONNS="${READ_CONNS:-4}"; READ_DELAY_MS="${READ_DELAY_MS:-4}"
ACT_DELAY_MS="${ACT_DELAY_MS:-5}"
PUBLIC_CONNS="${PUBLIC_CONNS:-2}"; PUBLIC_DELAY_MS="${PUBLIC_DELAY_MS:-4}"
command -v wrk >/dev/null || { echo "soak.sh: wrk is needed (apt-get install wrk)" >&2; exit 2; }

work="$(mktemp -d)"; trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export RIGHTSGATE_DATA_DIR="$work/data"
"$BIN" init >/dev/null
token() { "$BIN" user add "$1" --role "$2" --token | sed -n 's/^API token (shown once): //p'; }
intake_token="$(token loader intake_officer)"; approver_token="$(token ana approver)"
"$BIN" gen --n 2000 --seed 5 > "$work/requests.jsonl"
"$BIN" ingest "$work/requests.jsonl" --quiet >/dev/null
"$BIN" serve --addr "127.0.0.1:$PORT" > "$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 100); do grep -q "listening" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$PORT"
# Cases to act on (put in review first), and 500 others to read: apart, so that a read's cost does not grow with
# the events the actions keep adding to a case's timeline (a case read proves every event).
"$BIN" case list --json --limit 10000 > "$work/cases.jsonl"
python3 - "$work" <<'PY'
import json, sys
cases = [json.loads(line) for line in open(sys.argv[1] + "/cases.jsonl")]
act = [c["id"] for c in cases if c["state"] == "screened"][:200]
acting = set(act)
read = [c["id"] for c in cases if c["id"] not in acting][:500]
open(sys.argv[1] + "/read.txt", "w").write("\n".join(read) + "\n")
open(sys.argv[1] + "/act.txt", "w").write("\n".join(act) + "\n")
PY
while read -r id; do
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $approver_token" -H 'Content-Type: application/json' \
    -d '{"action":"start_review"}' "$base/api/v1/cases/$id/actions"
done < "$work/act.txt"

printf '%-8s %-7s %9s %7s %8s %8s %10s\n' window route requests errors p50_ms p99_ms rss_mib
windows=$(( DURATION / WINDOW )); total_errors=0
for w in $(seq 1 "$windows"); do
  run() { wrk -t1 -c"$2" -d"${WINDOW}s" --timeout 10s -s "$here/soak.lua" "$base" -- "$1" "$3" "$4" "$5" > "$work/$1.out" 2>&1; }
  # Every act case back in review (a window may have ended between an action and its pair); not timed.
  while read -r id; do
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $approver_token" -H 'Content-Type: application/json' \
      -d '{"action":"information_received"}' "$base/api/v1/cases/$id/actions"
  done < "$work/act.txt"
  pids=()
  run intake "$INTAKE_CONNS" "$intake_token" "$work/requests.jsonl" "$INTAKE_DELAY_MS" & pids+=($!)
  run read "$READ_CONNS" "$approver_token" "$work/read.txt" "$READ_DELAY_MS" & pids+=($!)
  run act 1 "$approver_token" "$work/act.txt" "$ACT_DELAY_MS" & pids+=($!)
  run public "$PUBLIC_CONNS" - - "$PUBLIC_DELAY_MS" & pids+=($!)
  rss_max=0
  for _ in $(seq 1 "$WINDOW"); do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)
    (( rss > rss_max )) && rss_max=$rss
    sleep 1
  done
  # Only the wrk processes: the server is a background job too. A wrk that failed shows up as a missing
  # SOAK line below.
  wait "${pids[@]}" || true
  for route in intake read act public; do
    line=$(grep '^SOAK requests' "$work/$route.out" || echo "SOAK requests=0 errors=-1 p50_ms=0 p99_ms=0 max_ms=0")
    eval "$(echo "$line" | sed 's/^SOAK //')"
    total_errors=$(( total_errors + errors ))
    grep '^SOAKBAD' "$work/$route.out" | cut -c1-300 >&2 || true
    printf '%-8s %-7s %9s %7s %8s %8s %10s\n' "$w" "$route" "$requests" "$errors" "$p50_ms" "$p99_ms" "$(( rss_max / 1024 ))"
  done
done
echo "total errors: $total_errors"
[ "$total_errors" -eq 0 ]
