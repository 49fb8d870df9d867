#!/usr/bin/env bash
# Runs the whole suite with the project's virtualenv. Extra arguments go to pytest.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
export AIMED_LLAMA_BIN="${AIMED_LLAMA_BIN:-$(bash infra/llama/build.sh)}"
export AIMED_DEMO_MODEL="${AIMED_DEMO_MODEL:-$(bash infra/llama/fetch_model.sh)}"
mkdir -p artifacts
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
