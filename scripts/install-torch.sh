#!/usr/bin/env bash
# Install torch into a venv, CPU build first. Usage: bash scripts/install-torch.sh PYTHON
#
# PyPI's Linux torch wheel is the CUDA build (about 4 GB of nvidia-* wheels pulled in with it), so
# torch comes from PyTorch's own CPU wheel index when that index answers; when it cannot be
# reached (offline mirror, firewall), from the default index as pip is configured.
#   AIRACE_TORCH_SPEC   requirement to install (default torch==2.13.0; "torch" for any version)
#   AIRACE_TORCH_INDEX  index to ask first (default https://download.pytorch.org/whl/cpu; a GPU
#                       user sets e.g. https://download.pytorch.org/whl/cu128, or "default" to
#                       use only pip's configured index)
#   AIRACE_PIP_ARGS     extra pip arguments (e.g. "--proxy http://proxy:3128")
set -euo pipefail
PY=${1:?usage: install-torch.sh PYTHON}
SPEC=${AIRACE_TORCH_SPEC:-torch==2.13.0}
INDEX=${AIRACE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
# shellcheck disable=SC2206
EXTRA=(${AIRACE_PIP_ARGS:-})
PIP=("$PY" -m pip install --disable-pip-version-check -q ${EXTRA[@]+"${EXTRA[@]}"})

index_answers() {
  # The index's torch page within 10 s, or not at all.
  "$PY" - "$1" <<'PYEOF'
import sys, urllib.request
url = sys.argv[1].rstrip("/") + "/torch/"
try:
    with urllib.request.urlopen(url, timeout=10) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception as e:
    print(f"{type(e).__name__}: {e}"[:200], file=sys.stderr)
    sys.exit(1)
PYEOF
}

if [ "$INDEX" != "default" ]; then
  if why=$(index_answers "$INDEX" 2>&1); then
    echo "installing $SPEC from $INDEX" >&2
    if "${PIP[@]}" --index-url "$INDEX" "$SPEC"; then
      exit 0
    fi
    echo "installing $SPEC from $INDEX failed: trying the default index" >&2
  else
    echo "torch index $INDEX unreachable ($why): installing $SPEC from the default index" >&2
  fi
fi
echo "installing $SPEC from the default index" >&2
exec "${PIP[@]}" "$SPEC"
