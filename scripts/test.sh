#!/usr/bin/env bash
# Install (with dev extras) and run the whole test suite. Extra arguments go to pytest.
# PostgreSQL tests run when AIRACE_TEST_POSTGRES_URL is set (CI sets it), Redis tests when
# AIRACE_TEST_REDIS_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
exec .venv/bin/python -m pytest "$@"
