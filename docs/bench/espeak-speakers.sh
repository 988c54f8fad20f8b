#!/usr/bin/env bash
# More speakers for `dictate bench` (issue 18 item 4): Harvard sentences (IEEE 1969 recommended practice for
# speech quality measurements), two to a clip so that `--pauses` has sentences of 6+ words to pause in, spoken
# by espeak-ng in eight voices (accents, male and female variants) at 140-200 words a minute; 16 kHz mono,
# 0.2 s of silence around each, with a manifest.tsv beside them.
# Usage: docs/bench/espeak-speakers.sh [DIR], then `dictate bench DIR/manifest.tsv --pauses 1.0 ...`
set -eu
DIR=${1:-/tmp/dictate-espeak-speakers}
mkdir -p "$DIR"
TEXTS=(
  "A gold ring will please most any girl. The long journey home took a year."
  "A pink shell was found on the sandy beach. The ship was torn apart on the sharp reef."
  "She danced like a swan, tall and graceful. The young girl gave no clear response."
  "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
  "The boy was there when the sun rose. A rod is used to catch pink salmon."
  "The source of the huge river is the clear spring. Kick the ball straight and follow through."
  "Help the woman get back to her feet. A pot of tea helps to pass the evening."
  "The small pup gnawed a hole in the sock. The fish twisted and turned on the bent hook."
)
VOICES=("en-us 175" "en-gb+f3 160" "en-gb-scotland+m2 140" "en-029 185" "en-us-nyc+f2 200" "en-gb-x-rp+m4 150"
        "en-us+f4 170" "en-gb-x-gbclan+m1 190")
printf 'file\tduration_s\ttranscript\tspeaker\n' > "$DIR/manifest.tsv"
for i in "${!TEXTS[@]}"; do
  read -r voice speed <<< "${VOICES[$i]}"
  out="espeak_speaker_$(printf %02d "$i").wav"
  espeak-ng -v "$voice" -s "$speed" -w "$DIR/raw.wav" "${TEXTS[$i]}"
  sox "$DIR/raw.wav" -r 16000 -c 1 -b 16 "$DIR/$out" pad 0.2 0.2
  printf '%s\t%s\t%s\t%s\n' "$out" "$(soxi -D "$DIR/$out")" "${TEXTS[$i]}" "espeak-ng $voice $speed wpm" \
    >> "$DIR/manifest.tsv"
done
rm -f "$DIR/raw.wav"
echo "$DIR/manifest.tsv"
