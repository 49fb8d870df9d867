#!/usr/bin/env bash
# Installs everything the project needs to run and test, idempotently and fast when done:
#   - system packages (Debian/Ubuntu: nginx, chromium, chromium-driver, cmake, nodejs/npm);
#     elsewhere it says what to install;
#   - the virtualenv .venv with every package editable plus the dev tools (pinned);
#   - the llama.cpp toolchain (cached outside git) and the demo GGUF in models/;
#   - the frontend's vendored libraries (frontend/vendor, from npm, pinned).
# Usage: bootstrap.sh [--no-system] [--no-llama] [--no-frontend]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
want_system=1 want_llama=1 want_frontend=1
for arg in "$@"; do
  case "$arg" in
    --no-system) want_system=0 ;;
    --no-llama) want_llama=0 ;;
    --no-frontend) want_frontend=0 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done
log() { echo "[bootstrap] $*" >&2; }

if [[ $want_system == 1 ]]; then
  missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
  command -v cmake >/dev/null || missing+=(cmake)
  command -v g++ >/dev/null || missing+=(g++)
  command -v npm >/dev/null || missing+=(npm)
  if (( ${#missing[@]} )); then
    if command -v apt-get >/dev/null; then
      sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
      log "installing system packages: ${missing[*]}"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      log "please install: ${missing[*]} (e.g. brew install nginx cmake node; Chromium is only needed for browser tests)"
      exit 1
    fi
  fi
fi

py="${PYTHON:-python3}"
stamp_src=$(cat libs/*/pyproject.toml services/*/pyproject.toml training/pyproject.toml requirements/dev.txt | sha256sum | cut -c1-16)
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$py" -m venv .venv
fi
if [[ "$(cat .venv/.aimed-stamp 2>/dev/null)" != "$stamp_src" ]]; then
  log "installing Python packages into .venv (first time: several minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  # torch first and pinned: a resolver left free would pull a CUDA build.
  .venv/bin/python -m pip install --quiet torch==2.13.0
  .venv/bin/python -m pip install --quiet \
    -e libs/contracts -e libs/cardgen -e libs/llama -e libs/servicekit \
    -e services/scheduler -e services/generator -e services/gateway -e services/mcp \
    -e "training[hf]" -r requirements/dev.txt
  echo "$stamp_src" > .venv/.aimed-stamp
fi

if [[ $want_llama == 1 ]]; then
  PYTHON=.venv/bin/python bash infra/llama/build.sh >/dev/null
  PYTHON=.venv/bin/python bash infra/llama/fetch_model.sh >/dev/null
fi
if [[ $want_frontend == 1 && -f infra/scripts/frontend_vendor.sh ]]; then
  bash infra/scripts/frontend_vendor.sh
fi
log "ready"
