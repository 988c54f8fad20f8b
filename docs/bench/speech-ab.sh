#!/usr/bin/env bash
# Issue 18 (revision guard, shortened pauses): the server before and after, both running, one bench client (the
# AFTER tree's: it has --noise/--telephone), runs interleaved before, after per kind and per round, niced.
# Usage: docs/bench/speech-ab.sh OUTDIR BEFORE_SRC AFTER_SRC [ROUND...], each ROUND a list of kinds, e.g.
#   docs/bench/speech-ab.sh /tmp/speech-ab /work/speech-before/src /work/speech-after/src "plain pauses noise"
# Kinds: plain, pauses (--pauses 1.0), noise (+ --noise -50), phone (+ --telephone), phoneplain (--telephone
# alone), concat (the 52 s passage), espeak / espeakplain (docs/bench/espeak-speakers.sh's clips, paused or not).
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; BEFORE_SRC=$2; AFTER_SRC=$3; shift 3; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- "plain pauses noise phone concat espeak phoneplain espeakplain"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
ESPEAK=${ESPEAK_DIR:-/tmp/dictate-espeak-speakers}
[ -f "$ESPEAK/manifest.tsv" ] || docs/bench/espeak-speakers.sh "$ESPEAK" > /dev/null
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A PORT SRC=([before]="$BEFORE_SRC" [after]="$AFTER_SRC") PID
for arm in before after; do
  PORT[$arm]=$(free_port)
  PYTHONPATH=${SRC[$arm]} nice "$PY" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" > "$OUT/server-$arm.log" 2>&1 &
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
  [noise]="--pauses 1.0 --noise -50"
  [phone]="--pauses 1.0 --telephone"
  [phoneplain]="--telephone"
  [concat]="$A/ljspeech_LJ001-0001_to_0008_concat.wav"
  [espeak]="$ESPEAK/manifest.tsv --pauses 1.0"
  [espeakplain]="$ESPEAK/manifest.tsv --formatted-offline"
)
round=0
for kinds in "$@"; do
  round=$((round + 1))
  for kind in $kinds; do
    for arm in before after; do
      echo "$(date -u +%T) round $round $kind $arm"
      # shellcheck disable=SC2086
      PYTHONPATH=$AFTER_SRC nice .venv/bin/dictate bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" \
        --trailing-silence 1.5 --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1
    done
    PYTHONPATH=$AFTER_SRC .venv/bin/dictate bench compare "$OUT/before-$kind-$round.json" "$OUT/after-$kind-$round.json" \
      > "$OUT/compare-$kind-$round.txt" 2>&1
  done
done
echo "$(date -u +%T) done"
