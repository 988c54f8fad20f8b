#!/usr/bin/env bash
# Issue 17, the live core: the server before (a worktree at the start commit) and after, both running, one bench
# client (this tree's), runs interleaved before, after per kind and per round.
# Usage: docs/bench/core-ab.sh OUTDIR BEFORE_SRC [ROUND...], each ROUND a list of kinds (plain, pauses, concat),
# e.g. docs/bench/core-ab.sh /tmp/core-ab /work/core-before/src "plain pauses concat" "pauses concat"
# (default: one round of all three).
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; BEFORE_SRC=$2; shift 2; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- "plain pauses concat"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A PORT SRC=([before]="$BEFORE_SRC" [after]="$PWD/src") PID
for arm in before after; do
  PORT[$arm]=$(free_port)
  PYTHONPATH=${SRC[$arm]} "$PY" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" > "$OUT/server-$arm.log" 2>&1 &
  PID[$arm]=$!
done
trap 'kill "${PID[before]}" "${PID[after]}" 2>/dev/null; wait' EXIT
for arm in before after; do
  until curl -sf "http://127.0.0.1:${PORT[$arm]}/readyz" > /dev/null; do sleep 2; done
  echo "$(date -u +%T) $arm ready on ${PORT[$arm]} (pid ${PID[$arm]})"
done
declare -A KINDS=(
  [plain]=""
  [pauses]="--pauses 1.0"
  [concat]="$A/ljspeech_LJ001-0001_to_0008_concat.wav"
)
round=0
for kinds in "$@"; do
  round=$((round + 1))
  for kind in $kinds; do
    for arm in before after; do
      echo "$(date -u +%T) round $round $kind $arm"
      # shellcheck disable=SC2086
      .venv/bin/dictate bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" --trailing-silence 1.5 \
        --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1
    done
    .venv/bin/dictate bench compare "$OUT/before-$kind-$round.json" "$OUT/after-$kind-$round.json" \
      > "$OUT/compare-$kind-$round.txt" 2>&1
  done
done
echo "$(date -u +%T) done"
