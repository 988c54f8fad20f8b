#!/usr/bin/env bash
# Install Smart Turn v3.2 (Daily's acoustic end-of-turn model, BSD-2-Clause, an 8.7 MB int8 ONNX file) for the
# server's adaptive end of utterance (docs/tuning.md). The only registry package that ships the file is the
# pipecat-ai wheel, whose 22 runtime dependencies the server does not want: the wheel is downloaded without them,
# the one file taken out of it and checked, and the wheel deleted. Nothing is downloaded at run time.
#   scripts/fetch-turn-model.sh [DEST_DIR]     (default: the virtual environment's share/dictate)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${VENV:-.venv}/bin/python"
DEST="${1:-$("$PY" -c 'import sys; print(sys.prefix)')/share/dictate}"
FILE=smart-turn-v3.2-cpu.onnx
SHA256=2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f
if [[ -f "$DEST/$FILE" ]] && echo "$SHA256  $DEST/$FILE" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$PY" -m pip download -q --no-deps "pipecat-ai==1.14.0" -d "$tmp" > "$tmp/pip.log" 2>&1; then
  grep -v "^WARNING: Location" "$tmp/pip.log" >&2 || true
  echo "fetch-turn-model: could not download the pipecat-ai 1.14.0 wheel (it ships the file); without it the" \
    "server's adaptive end of utterance uses the text alone" >&2
  exit 1
fi
wheel=$(echo "$tmp"/pipecat_ai-*.whl)
"$PY" - "$wheel" "$tmp/$FILE" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
echo "$SHA256  $tmp/$FILE" | sha256sum -c --quiet
mkdir -p "$DEST"
mv "$tmp/$FILE" "$DEST/$FILE"
echo "fetch-turn-model: $DEST/$FILE"
