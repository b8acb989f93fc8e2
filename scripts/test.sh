#!/usr/bin/env bash
# Install (with dev extras) and run the whole test suite. Extra arguments go to pytest.
# The install is skipped when .venv already has the dev extras for this pyproject.toml and these
# install scripts (a stamp in .venv holds their hash); AIRACE_REINSTALL=1 forces it.
# PostgreSQL tests run when AIRACE_TEST_POSTGRES_URL is set (CI sets it), Redis tests when
# AIRACE_TEST_REDIS_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."

dev_stamp() {
  cat pyproject.toml scripts/install.sh scripts/install-torch.sh | cksum | cut -d' ' -f1
}
if [ "${1:-}" = "--print-dev-stamp" ]; then
  dev_stamp
  exit 0
fi

stamp=.venv/.airace-dev-stamp
if [ "${AIRACE_REINSTALL:-0}" = "1" ] || [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] ||
  [ "$(cat "$stamp")" != "$(dev_stamp)" ]; then
  bash scripts/install.sh --dev
else
  echo "dev install up to date (pyproject.toml unchanged): not reinstalling" >&2
fi
exec .venv/bin/python -m pytest "$@"
