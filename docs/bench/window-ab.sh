#!/usr/bin/env bash
# Interleaved A/B of final-pass encoder windows (issue 10): for each kind of input, arm A then arm B, each one
# `dictate bench` run with its own embedded server, each run holding the heavy lock on its own.
# Usage: docs/bench/window-ab.sh OUTDIR "A=DICTATE_FULL_WINDOW_UNDER=0" "B=DICTATE_FULL_WINDOW_UNDER=4"
# (KINDS_ORDER="concat plain" picks kinds; CONCAT_REPEAT=N streams the 52 s passage N times per run.)
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=$1; shift; mkdir -p "$OUT"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
ESPEAK=$(docs/bench/espeak-commands.sh "$OUT/espeak")
declare -A KINDS=(
  [plain]=""
  [pauses]="--pauses 1.0"
  [concat]="$A/ljspeech_LJ001-0001_to_0008_concat.wav --repeat ${CONCAT_REPEAT:-1}"
  [espeak]="$ESPEAK"
)
for kind in ${KINDS_ORDER:-plain pauses concat espeak}; do
  for arm in "$@"; do
    name=${arm%%=*}; assignments=${arm#*=}
    echo "$(date -u +%T) $kind $name ($assignments)"
    # shellcheck disable=SC2086
    env $assignments flock /work/heavy.lock .venv/bin/dictate bench ${KINDS[$kind]} --trailing-silence 1.5 \
      --out "$OUT/$name-$kind.json" > "$OUT/$name-$kind.txt" 2>&1
  done
done
for kind in ${KINDS_ORDER:-plain pauses concat espeak}; do
  .venv/bin/dictate bench compare "$OUT"/"${1%%=*}"-$kind.json "$OUT"/"${2%%=*}"-$kind.json > "$OUT/compare-$kind.txt" 2>&1
done
echo "$(date -u +%T) done"
