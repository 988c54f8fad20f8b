#!/bin/bash
# Issue 20 item 13: RSS after load and live latency, glibc defaults + malloc_trim after 30 s idle ("trim") against
# MALLOC_ARENA_MAX=2 without trim ("arena2"): one server at a time, each a 3-minute soak at N=2 beside 8 upload
# loops and 45 s of settling, the arms interleaved trim, arena2, arena2, trim (drift falls on both).
# Usage: docs/bench/memory-trim-arena.sh OUTDIR [ARM...]   (default arms: trim arena2 arena2 trim)
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; shift; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- trim arena2 arena2 trim
declare -A ENVS=([trim]="DICTATE_TRIM_AFTER_IDLE=30" [arena2]="MALLOC_ARENA_MAX=2 DICTATE_TRIM_AFTER_IDLE=0")
n=0
for arm in "$@"; do
  n=$((n + 1)); port=$((47320 + n))
  echo "$(date -u +%T) run $n $arm"
  # shellcheck disable=SC2086
  env ${ENVS[$arm]} .venv/bin/python -m dictate serve --host 127.0.0.1 --port $port > "$OUT/$arm-$n-server.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 1; done
  .venv/bin/python -m dictate bench --server "ws://127.0.0.1:$port/stream" --soak 3 --concurrency 2 --interval 60 \
    --trailing-silence 1.5 --upload-loops 8 --settle 45 --out "$OUT/$arm-$n.json" > "$OUT/$arm-$n-bench.log" 2>&1
  kill -TERM $pid; wait $pid
done
echo "$(date -u +%T) done"
