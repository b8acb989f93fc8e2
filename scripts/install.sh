#!/usr/bin/env bash
# Create .venv and install airace into it. Usage: bash scripts/install.sh [--dev]
#   --dev   also the test and lint tools and the postgres/distributed/browse extras.
# torch is installed first, as a CPU build: left to sentence-transformers, pip would pick a CUDA
# build of several GB. Override the pin with AIRACE_TORCH_SPEC (e.g. "torch" on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q)
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "installing torch (CPU build)..." >&2
  "${PIP[@]}" "${AIRACE_TORCH_SPEC:-torch==2.13.0}"
fi
if [ "${1:-}" = "--dev" ]; then
  echo "installing airace with dev extras..." >&2
  "${PIP[@]}" -e ".[dev,postgres,distributed,browse]"
else
  echo "installing airace..." >&2
  "${PIP[@]}" -e .
fi
