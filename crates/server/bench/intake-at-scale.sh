#!/usr/bin/env bash
# Server intake (POST /api/v1/requests, wrk -t2 -c32 -d10s, unique references) on an empty store and on a store
# holding N cases taken in by `ingest`, with the same binary in the same run.
# Usage: BIN=target/release/rightsgate N=100000 crates/server/bench/intake-at-scale.sh   (needs wrk)
set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
BIN=${BIN:-target/release/rightsgate}
N=${N:-100000}
cd "$(dirname "$0")/../../.."
# SKIPFULL=1 reuses the full store an earlier run left in $WORK (a fresh empty store is made either way);
# FULLDB=PATH names another full store (e.g. one per binary, to compare two binaries on the same requests).
W=${WORK:-/tmp/rg-intake}
export RIGHTSGATE_DATA_DIR=$W/data
if [ -z "${SKIPFULL:-}" ]; then
  rm -rf "$W"; mkdir -p "$W"
  $BIN init >/dev/null
  $BIN gen --n 20000 --seed 7 > $W/reqs.jsonl
  $BIN gen --n $N --seed 11 > $W/fill.jsonl
fi
rm -f "$W"/empty.db*
run() { # db label
  local db=$1 label=$2
  local token
  token=$($BIN user add "loader-$label-$$" --role intake_officer --token --db "$db" | sed -n 's/^API token (shown once): //p')
  RIGHTSGATE_LOG=warn $BIN serve --db "$db" --addr 127.0.0.1:18090 > $W/serve-$label.log 2>&1 &
  local pid=$!
  # Start-up reads the whole ledger once for the public page, on both cores; measure intake after it.
  curl -s -o /dev/null --retry 50 --retry-connrefused --retry-delay 0 http://127.0.0.1:18090/transparency.json
  echo "== $label"
  wrk -t2 -c32 -d10s --latency -s crates/server/bench/requests.lua http://127.0.0.1:18090/api/v1/requests -- $W/reqs.jsonl "$token" unique | grep -E "Requests/sec|latency p50|errors"
  kill $pid; wait $pid 2>/dev/null || true
}
EMPTY="sqlite://$W/empty.db?mode=rwc"
FULL="sqlite://${FULLDB:-$W/full.db}?mode=rwc"
[ "${SKIPFULL:-}" ] || $BIN ingest --quiet --db "$FULL" $W/fill.jsonl
run "$EMPTY" empty
run "$FULL" "full-$N"
