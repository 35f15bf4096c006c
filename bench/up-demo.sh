#!/usr/bin/env bash
# Time-to-ready of `spacelab up` (process start → the export lines are printed, i.e. the data
# plane converged and the APIs listen) and the wall time of `spacelab demo` (a fresh emulator, the
# whole peering walkthrough with its packet checks, teardown), each run N times on this machine.
# Targets (issue 2): ready < 0.5 s, demo < 3 s. Usage: [PAUSE=seconds] bash bench/up-demo.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
tmp=$(mktemp -d /tmp/spacelab-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spacelab" ./cmd/spacelab
export SPACELAB_STATE_DIR="$tmp/state"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %d ms, median %d ms, max %d ms (n=%d)", a[1], a[int((NR+1)/2)], a[NR], NR}'; }

for _ in $(seq "$n"); do
  start=$(date +%s%N)
  "$tmp/spacelab" up --heroku-listen 127.0.0.1:0 --aws-listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  until grep -q '^export AWS_CONFIG_FILE=' "$tmp/out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err"; exit 1; }
    sleep 0.002
  done
  ms "$start" >>"$tmp/up.ms"
  "$tmp/spacelab" down 2>/dev/null
  wait "$pid"
  # The kernel destroys a run's namespaces in the background; starting the next one at once
  # measures that cleanup too (about +100 ms here). Users do not restart within milliseconds.
  sleep "${PAUSE:-2}"
done
for _ in $(seq "$n"); do
  start=$(date +%s%N)
  "$tmp/spacelab" demo >"$tmp/demo.out" 2>&1 || { cat "$tmp/demo.out"; exit 1; }
  ms "$start" >>"$tmp/demo.ms"
done
up=$(stats <"$tmp/up.ms"); demo=$(stats <"$tmp/demo.ms")
upmed=$(sort -n "$tmp/up.ms" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
demomed=$(sort -n "$tmp/demo.ms" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "spacelab up, time to ready: $up — median is $(awk -v m="$upmed" 'BEGIN{printf "%.2f", m/500}')× the 0.5 s target"
echo "spacelab demo, wall time:   $demo — median is $(awk -v m="$demomed" 'BEGIN{printf "%.2f", m/3000}')× the 3 s target"
