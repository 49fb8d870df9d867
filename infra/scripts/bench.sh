#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints its figures); BENCH=name runs one.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
export AIMED_LLAMA_BIN="${AIMED_LLAMA_BIN:-$(bash infra/llama/build.sh)}"
export AIMED_DEMO_MODEL="${AIMED_DEMO_MODEL:-$(bash infra/llama/fetch_model.sh)}"
for script in bench/*.py; do
  name="$(basename "$script" .py)"
  [[ -z "${BENCH:-}" || "$BENCH" == "$name" ]] || continue
  echo "=== $name"
  .venv/bin/python "$script"
done
