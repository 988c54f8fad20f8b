#!/usr/bin/env bash
# Issue 18 item 3, the adaptive end of utterance: two servers of this tree, DICTATE_END_OF_UTTERANCE=fixed and
# =adaptive, one bench client, runs interleaved fixed, adaptive per kind and per round.
# Usage: docs/bench/turn-ab.sh OUTDIR [ROUND...], each ROUND a list of kinds (plain, pauses, concat),
# e.g. docs/bench/turn-ab.sh /tmp/turn-ab "plain pauses concat" "pauses plain" (default: one round of all three).
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 PYTHONPATH=$PWD/src  # this tree, even with a venv of another
OUT=$1; shift; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- "plain pauses concat"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A PORT PID
for arm in fixed adaptive; do
  PORT[$arm]=$(free_port)
  DICTATE_END_OF_UTTERANCE=$arm "$PY" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" --log-level debug \
    > "$OUT/server-$arm.log" 2>&1 &
  PID[$arm]=$!
done
trap 'kill "${PID[fixed]}" "${PID[adaptive]}" 2>/dev/null; wait' EXIT
for arm in fixed adaptive; do
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
    for arm in fixed adaptive; do
      echo "$(date -u +%T) round $round $kind $arm"
      # shellcheck disable=SC2086
      .venv/bin/dictate bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" --trailing-silence 1.5 \
        --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1
    done
    .venv/bin/dictate bench compare "$OUT/fixed-$kind-$round.json" "$OUT/adaptive-$kind-$round.json" \
      > "$OUT/compare-$kind-$round.txt" 2>&1
  done
done
echo "$(date -u +%T) done"
