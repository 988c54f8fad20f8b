#!/usr/bin/env bash
# Benchmark.md item 18: the server of one tree before the fix (BEFORE, e.g. a worktree at fd6a4fa) against one
# after it (AFTER), interleaved per kind. Usage: BEFORE=/path AFTER=/path docs/bench/stopedge-ab.sh OUTDIR "plain pauses concat"
set -u
OUT=$1; shift; mkdir -p "$OUT"
A=$(cd "$(dirname "$0")/../.." && pwd)/../shared/audio
PY=$(cd "$(dirname "$0")/../.." && pwd)/.venv/bin/python
declare -A TREE=([before]=$BEFORE [after]=$AFTER) PORT PID
for arm in before after; do
  PORT[$arm]=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd ${TREE[$arm]} && HF_HUB_OFFLINE=1 PYTHONPATH=${TREE[$arm]}/src $PY -m dictate serve --host 127.0.0.1 --port ${PORT[$arm]} --log-level debug > "$OUT/server-$arm.log" 2>&1) &
  PID[$arm]=$!
done
trap 'pkill -f "dictate serve --host 127.0.0.1 --port (${PORT[before]}|${PORT[after]})"; wait' EXIT
for arm in before after; do until curl -sf "http://127.0.0.1:${PORT[$arm]}/readyz" > /dev/null; do sleep 2; done; done
declare -A KINDS=([plain]="" [pauses]="--pauses 1.0" [concat]="$A/ljspeech_LJ001-0001_to_0008_concat.wav")
round=0
for kinds in "$@"; do
  round=$((round + 1))
  for kind in $kinds; do
    for arm in before after; do
      echo "$(date -u +%T) round $round $kind $arm"
      (HF_HUB_OFFLINE=1 "$(dirname "$PY")/dictate" bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" --trailing-silence 1.5 \
        --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1)
    done
  done
done
echo "$(date -u +%T) done"
