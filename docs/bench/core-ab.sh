#!/usr/bin/env bash
# Issue 17, the live core: the server before (a worktree at the pre-core commit, with its own venv) and after (a
# source tree, run with this tree's venv), both running, one bench client (the after tree's), runs interleaved
# before, after per kind and per round, everything under nice (the machine is shared).
# Usage: docs/bench/core-ab.sh OUTDIR BEFORE_TREE AFTER_SRC [ROUND...], each ROUND a list of kinds (plain, pauses,
# concat), e.g. docs/bench/core-ab.sh /tmp/core-ab /work/core-before /tmp/core-after/src "plain pauses concat"
# (default: one round of all three). AFTER_SRC is a snapshot (git archive main) so that rebasing this worktree
# during the run changes neither the after server nor the bench client.
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; BEFORE_TREE=$2; AFTER_SRC=$3; shift 3; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- "plain pauses concat"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A PORT SRC=([before]="$BEFORE_TREE/src" [after]="$AFTER_SRC") VPY=([before]="$BEFORE_TREE/.venv/bin/python" [after]="$PY") PID
for arm in before after; do
  PORT[$arm]=$(free_port)
  PYTHONPATH=${SRC[$arm]} nice -n 10 "${VPY[$arm]}" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" > "$OUT/server-$arm.log" 2>&1 &
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
  order="before after"; [ $((round % 2)) -eq 0 ] && order="after before"  # drift falls on both arms
  for kind in $kinds; do
    for arm in $order; do
      echo "$(date -u +%T) round $round $kind $arm"
      # shellcheck disable=SC2086
      PYTHONPATH=$AFTER_SRC nice -n 10 "$PY" -m dictate bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" --trailing-silence 1.5 \
        --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1
    done
    PYTHONPATH=$AFTER_SRC "$PY" -m dictate bench compare "$OUT/before-$kind-$round.json" "$OUT/after-$kind-$round.json" \
      > "$OUT/compare-$kind-$round.txt" 2>&1
  done
done
echo "$(date -u +%T) done"
