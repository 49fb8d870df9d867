#!/usr/bin/env bash
# `make stop`: stop every process `make run` started (recorded in var/run/*.pid).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
exec "$repo/.venv/bin/python" -m infra.stack stop
