#!/usr/bin/env bash
# A/B/A/B: dictate bench final latency without / with a 52 s file being transcribed over /v1 in a loop.
set -u
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
OUT=${OUT:-/tmp/dictate-upload-ab}; mkdir -p $OUT
PORT=8791
A=${DICTATE_TEST_AUDIO:-../shared/audio}
CLIPS="$A/ps_cards_001.wav $A/ps_cards_002.wav $A/ps_cards_005.wav $A/ps_goforward.wav $A/ps_librivox_sns01_0880.wav $A/ps_librivox_sns01_0930.wav $A/ps_librivox_sns01_0890.wav"
date -u +%T
.venv/bin/dictate serve --port $PORT > $OUT/serve.log 2>&1 &
SERVER=$!
for i in $(seq 120); do curl -sf localhost:$PORT/readyz > /dev/null && break; sleep 1; done
uploads() { while :; do curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -F file=@$A/ljspeech_LJ001-0001_to_0008_concat.wav -F model=whisper-1 http://127.0.0.1:$PORT/v1/audio/transcriptions >> $OUT/uploads.txt; done; }
for round in 1 2; do
  .venv/bin/dictate bench run $CLIPS --server ws://127.0.0.1:$PORT/stream --out $OUT/A$round.json > $OUT/A$round.txt 2>&1
  uploads & LOOP=$!
  sleep 2
  .venv/bin/dictate bench run $CLIPS --server ws://127.0.0.1:$PORT/stream --out $OUT/B$round.json > $OUT/B$round.txt 2>&1
  kill $LOOP; wait $LOOP 2>/dev/null
done
curl -s localhost:$PORT/metrics | grep -E "^dictate_file_(jobs_total|windows_total|audio_seconds_total|job_seconds_(sum|count))" > $OUT/metrics.txt
kill $SERVER; wait $SERVER
for round in 1 2; do .venv/bin/dictate bench compare $OUT/A$round.json $OUT/B$round.json > $OUT/compare$round.txt 2>&1; done
date -u +%T
