#!/bin/bash
# Two servers side by side under 4 concurrent streams (benchmark.md item 26): the tree BEFORE names (e.g. a
# worktree of an earlier commit) and this one, every default, both running; `dictate bench --concurrency 4
# --no-sweep --repeat 2 --memory` on four short clips against each, interleaved twice (arm order swapped).
# Usage: BEFORE=/path/to/worktree docs/bench/concurrency-ab.sh OUTDIR
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; mkdir -p "$OUT"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
CLIPS=("$A/ps_librivox_sns01_0880.wav" "$A/ps_cards_005.wav" "$A/ljspeech_LJ001-0004.wav" "$A/ps_librivox_sns01_0920.wav")
PY=.venv/bin/python
declare -A TREE=([before]="${BEFORE:?set BEFORE to the earlier tree}" [after]="$PWD") PORT PID
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for arm in before after; do
  PORT[$arm]=$(free_port)
  PYTHONPATH="${TREE[$arm]}/src" "$PY" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" > "$OUT/server-$arm.log" 2>&1 &
  PID[$arm]=$!
done
trap 'kill "${PID[before]}" "${PID[after]}" 2>/dev/null; wait' EXIT
for arm in before after; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:${PORT[$arm]}/readyz" > /dev/null && break; sleep 1; done
  curl -sf "http://127.0.0.1:${PORT[$arm]}/readyz" > /dev/null || { echo "$arm never got ready: $OUT/server-$arm.log"; exit 1; }
done
for round in 1 2; do
  arms="before after"; [ "$round" = 2 ] && arms="after before"
  for arm in $arms; do
    echo "$(date +%T) round $round $arm"
    PYTHONPATH="$PWD/src" "$PY" -m dictate bench --server "ws://127.0.0.1:${PORT[$arm]}/stream" --concurrency 4 \
      --no-sweep --repeat 2 --memory --server-pid "${PID[$arm]}" --out "$OUT/$arm-c4-$round.json" "${CLIPS[@]}" \
      > "$OUT/$arm-c4-$round.txt" 2>&1
  done
done
echo "$(date +%T) done"
