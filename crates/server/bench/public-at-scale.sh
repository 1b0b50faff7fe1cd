#!/usr/bin/env bash
# The public transparency page on a large store: how long after start-up the first document is served (the
# server reads the whole ledger once), then wrk -t2 -c8 -d10s on /transparency with the ledger unchanged, for
# each binary given, in one run. Run it from the checkout: `serve` reads lawpacks/ and policies/ from here.
# Usage: DB=sqlite:///path/full.db?mode=rwc crates/server/bench/public-at-scale.sh BIN [BIN...]   (needs wrk)
# A store of N cases: `N=1000000 crates/server/bench/intake-at-scale.sh` leaves one in $WORK/full.db.
set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
: "${DB:?set DB to the URL of the store}"
for BIN in "$@"; do
  start=$(date +%s.%N)
  RIGHTSGATE_LOG=warn $BIN serve --db "$DB" --addr 127.0.0.1:18091 > /tmp/public-at-scale.log 2>&1 &
  pid=$!
  echo "== $BIN"
  curl -s -o /dev/null --retry 50 --retry-connrefused --retry-delay 0 -w "first document: status %{http_code}, " \
    http://127.0.0.1:18091/transparency.json
  echo "$(date +%s.%N) - $start" | bc | sed 's/^/served this long after start-up (s): /'
  wrk -t2 -c8 -d10s --latency http://127.0.0.1:18091/transparency | grep -E "Requests/sec|99%|50%|Non-2xx"
  kill $pid; wait $pid 2>/dev/null || true
done
