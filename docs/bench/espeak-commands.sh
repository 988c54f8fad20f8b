#!/usr/bin/env bash
# Short spoken commands and phrases for `dictate bench` (issue 10, the trimmed window on short utterances):
# espeak-ng in two voices, 16 kHz mono, 0.2 s of silence around each (the bench adds 1 s before, and its
# --trailing-silence after), with a manifest.tsv beside them.  Usage: docs/bench/espeak-commands.sh [DIR]
set -eu
DIR=${1:-/tmp/dictate-espeak}
mkdir -p "$DIR"
PHRASES=("new line" "new paragraph" "scratch that" "stop listening" "good morning" "thank you"
         "see you soon" "send it" "call me tomorrow at nine" "please review the attached file")
VOICES=("en-us 150" "en-us+m3 160")
printf 'file\tduration_s\ttranscript\n' > "$DIR/manifest.tsv"
v=0
for voice in "${VOICES[@]}"; do
  read -r name speed <<< "$voice"
  p=0
  for phrase in "${PHRASES[@]}"; do
    out="espeak_v${v}_$(printf %02d $p).wav"
    espeak-ng -v "$name" -s "$speed" -w "$DIR/raw.wav" "$phrase"
    sox "$DIR/raw.wav" -r 16000 -c 1 -b 16 "$DIR/$out" pad 0.2 0.2
    printf '%s\t%s\t%s\n' "$out" "$(soxi -D "$DIR/$out")" "$phrase" >> "$DIR/manifest.tsv"
    p=$((p + 1))
  done
  v=$((v + 1))
done
rm -f "$DIR/raw.wav"
echo "$DIR/manifest.tsv"
