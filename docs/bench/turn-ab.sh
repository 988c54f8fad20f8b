#!/usr/bin/env bash
# Issue 18 item 3, the adaptive end of utterance: one server of this tree per arm, one bench client, runs
# interleaved arm by arm per kind and per round. Arms (ARMS, default "fixed adaptive"): fixed
# (DICTATE_END_OF_UTTERANCE=fixed), adaptive (=adaptive, the text alone: DICTATE_TURN_MODEL=off), acoustic
# (=adaptive with the Smart Turn model scripts/fetch-turn-model.sh installed), hold12 (acoustic, holding 1.2 s),
# hold20 and hold25 (every default, holding 2.0 s, the default before benchmark.md item 27, and 2.5 s),
# vad04 and vad06 (acoustic, DICTATE_VAD_SENSITIVITY=0.4, RealtimeSTT's default and ours before issue 18's
# round 4; 0.6, the default since), before and after (every default; the server of the tree BEFORE names, e.g. a
# worktree of an earlier commit, against this one's); t1 (DICTATE_CPU_THREADS=1: one thread per model call), w2t1
# (that, with DICTATE_MODEL_WORKERS=2: two calls at once; the default on 2 cores since benchmark.md item 26), w2t2
# (two calls of two threads each: oversubscribed when both run) and w1 (one call with every core: the default before).
# Usage: docs/bench/turn-ab.sh OUTDIR [ROUND...], each ROUND a list of kinds (plain, pauses, concat, noise, phone,
# phoneplain, espeak, espeakplain: as in speech-ab.sh; pauses2: 2 s pauses; noise40, noise35: louder room noise;
# phonenoise: the telephone band with room noise at -45 dBFS; noise40plain, noise35plain, phonenoiseplain: those
# without the pauses; others: the LibriVox clips and JFK's as one 37 s stream, docs/bench/other-readers.py),
# e.g. ARMS="fixed acoustic" docs/bench/turn-ab.sh /tmp/turn-ab "plain pauses" "pauses plain"
# (default: one round of plain, pauses, concat). TRAILING: seconds of silence after each clip (default 1.5).
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 PYTHONPATH=$PWD/src  # this tree, even with a venv of another
OUT=$1; shift; mkdir -p "$OUT"
[ $# -gt 0 ] || set -- "plain pauses concat"
A=${DICTATE_TEST_AUDIO:-../shared/audio}
ESPEAK=${ESPEAK_DIR:-/tmp/dictate-espeak-speakers}
OTHERS=${OTHERS_DIR:-/tmp/dictate-other-readers}
read -r -a ARM_LIST <<< "${ARMS:-fixed adaptive}"
declare -A ARM_ENV=(
  [fixed]="DICTATE_END_OF_UTTERANCE=fixed"
  [adaptive]="DICTATE_END_OF_UTTERANCE=adaptive DICTATE_TURN_MODEL=off"
  [acoustic]="DICTATE_END_OF_UTTERANCE=adaptive DICTATE_TURN_MODEL=auto"
  [hold12]="DICTATE_END_OF_UTTERANCE=adaptive DICTATE_TURN_MODEL=auto DICTATE_HOLD_SILENCE=1.2"
  [hold20]="DICTATE_HOLD_SILENCE=2.0"
  [hold25]="DICTATE_HOLD_SILENCE=2.5"
  [vad04]="DICTATE_END_OF_UTTERANCE=adaptive DICTATE_TURN_MODEL=auto DICTATE_VAD_SENSITIVITY=0.4"
  [vad06]="DICTATE_END_OF_UTTERANCE=adaptive DICTATE_TURN_MODEL=auto DICTATE_VAD_SENSITIVITY=0.6"
  [t1]="DICTATE_CPU_THREADS=1"
  [w2t1]="DICTATE_MODEL_WORKERS=2 DICTATE_CPU_THREADS=1"
  [w2t2]="DICTATE_MODEL_WORKERS=2 DICTATE_CPU_THREADS=2"
  [w1]="DICTATE_MODEL_WORKERS=1"
  [before]="PYTHONPATH=${BEFORE:-$PWD}/src"
  [after]=""
)
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A PORT PID
for arm in "${ARM_LIST[@]}"; do
  PORT[$arm]=$(free_port)
  # shellcheck disable=SC2086
  env ${ARM_ENV[$arm]} "$PY" -m dictate serve --host 127.0.0.1 --port "${PORT[$arm]}" --log-level debug \
    > "$OUT/server-$arm.log" 2>&1 &
  PID[$arm]=$!
done
trap 'kill "${PID[@]}" 2>/dev/null; wait' EXIT
for arm in "${ARM_LIST[@]}"; do
  until curl -sf "http://127.0.0.1:${PORT[$arm]}/readyz" > /dev/null; do sleep 2; done
  echo "$(date -u +%T) $arm ready on ${PORT[$arm]} (pid ${PID[$arm]})"
done
declare -A KINDS=(
  [plain]=""
  [pauses]="--pauses 1.0"
  [concat]="$A/ljspeech_LJ001-0001_to_0008_concat.wav"
  [noise]="--pauses 1.0 --noise -50"
  [phone]="--pauses 1.0 --telephone"
  [pauses2]="--pauses 2.0"
  [noise40]="--pauses 1.0 --noise -40"
  [noise35]="--pauses 1.0 --noise -35"
  [phonenoise]="--pauses 1.0 --telephone --noise -45"
  [noise40plain]="--noise -40"
  [noise35plain]="--noise -35"
  [phonenoiseplain]="--telephone --noise -45"
  [phoneplain]="--telephone"
  [espeak]="$ESPEAK/manifest.tsv --pauses 1.0"
  [espeakplain]="$ESPEAK/manifest.tsv --formatted-offline"
  [others]="$OTHERS/manifest.tsv"
)
case " $* " in *espeak*) [ -f "$ESPEAK/manifest.tsv" ] || docs/bench/espeak-speakers.sh "$ESPEAK" > /dev/null ;; esac
case " $* " in *others*) [ -f "$OTHERS/manifest.tsv" ] || "$PY" docs/bench/other-readers.py "$OTHERS" > /dev/null ;; esac
round=0
for kinds in "$@"; do
  round=$((round + 1))
  for kind in $kinds; do
    for arm in "${ARM_LIST[@]}"; do
      echo "$(date -u +%T) round $round $kind $arm"
      # shellcheck disable=SC2086
      .venv/bin/dictate bench ${KINDS[$kind]} --server "ws://127.0.0.1:${PORT[$arm]}/stream" --trailing-silence "${TRAILING:-1.5}" \
        --out "$OUT/$arm-$kind-$round.json" > "$OUT/$arm-$kind-$round.txt" 2>&1
    done
    .venv/bin/dictate bench compare "$OUT/${ARM_LIST[0]}-$kind-$round.json" "$OUT/${ARM_LIST[-1]}-$kind-$round.json" \
      > "$OUT/compare-$kind-$round.txt" 2>&1
  done
done
echo "$(date -u +%T) done"
