#!/usr/bin/env bash
# Create .venv and install airace into it. Usage: bash scripts/install.sh [--dev]
#   --dev   also the test and lint tools and the postgres/distributed/browse extras.
# Checks the system first (Python >= 3.11 with venv, the Pango/HarfBuzz/fontconfig libraries that
# WeasyPrint needs for the PDF briefing); AIRACE_SKIP_SYSTEM_CHECKS=1 skips that. torch comes
# first, as a CPU build (scripts/install-torch.sh: AIRACE_TORCH_SPEC, AIRACE_TORCH_INDEX).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

fail() { echo "install: $*" >&2; exit 1; }

if [ "${AIRACE_SKIP_SYSTEM_CHECKS:-0}" != "1" ]; then
  command -v "$PY" >/dev/null 2>&1 ||
    fail "$PY not found: install Python >= 3.11 (or set PYTHON=/path/to/python3.11)"
  "$PY" scripts/check_system.py || exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC2206
EXTRA=(${AIRACE_PIP_ARGS:-})
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q ${EXTRA[@]+"${EXTRA[@]}"})
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  bash scripts/install-torch.sh .venv/bin/python
fi
if [ "${1:-}" = "--dev" ]; then
  echo "installing airace with dev extras..." >&2
  "${PIP[@]}" -e ".[dev,postgres,distributed,browse]"
  # scripts/test.sh skips the install while this matches (see dev_stamp there).
  bash scripts/test.sh --print-dev-stamp > .venv/.airace-dev-stamp
else
  echo "installing airace..." >&2
  "${PIP[@]}" -e .
fi
