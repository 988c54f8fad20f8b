#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest (real server, real model, real audio; Xvfb started by the tests).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -x
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export HF_HUB_OFFLINE=1            # tests never download anything
export PYTHONUNBUFFERED=1
"$VENV/bin/ruff" check src tests docs/bench scripts
"$VENV/bin/mypy"
# A hung run fails here, well inside CI's 90 minutes, instead of running into CI's own limit (the suite takes
# about 15 minutes on 2 cores; pytest-timeout bounds each test, this bounds the whole run and its exit).
timeout --kill-after=60 "${DICTATE_TEST_TIMEOUT:-3600}" "$VENV/bin/python" -m pytest "$@"
