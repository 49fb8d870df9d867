#!/usr/bin/env bash
# Fills frontend/vendor/ with the browser builds of the pinned UI libraries (package.json,
# package-lock.json): marked (Markdown), DOMPurify (sanitiser), Chart.js (charts) and
# Swagger UI (the API reference page the gateway serves at /api/docs).
# Idempotent: `npm ci` runs only when package-lock.json changed since the last run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
log() { echo "[frontend] $*" >&2; }

if ! command -v npm >/dev/null; then
  log "npm is missing: install Node.js 18+ (Debian/Ubuntu: apt-get install npm; macOS: brew install node)"
  exit 1
fi

vendor=frontend/vendor
stamp="$vendor/.lock-sha256"
lock_sha=$(sha256sum package-lock.json | cut -c1-64)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_sha" ]]; then
  exit 0
fi

if [[ "$(cat node_modules/.aimed-lock-sha256 2>/dev/null)" != "$lock_sha" ]]; then
  log "npm ci (pinned versions from package-lock.json)"
  # No package has install scripts we need; refusing them keeps the install inert.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sha" > node_modules/.aimed-lock-sha256
fi

rm -rf "$vendor"
mkdir -p "$vendor"
# ES modules with no bare imports, loadable as-is under `script-src 'self'`.
cp node_modules/marked/lib/marked.esm.js "$vendor/marked.esm.js"
cp node_modules/dompurify/dist/purify.es.mjs "$vendor/purify.es.mjs"
# Chart.js's ES build imports the bare name "@kurkle/color", which a browser cannot
# resolve without an import map; the UMD bundle has it inlined and sets globalThis.Chart.
cp node_modules/chart.js/dist/chart.umd.min.js "$vendor/chart.umd.min.js"
# Swagger UI from our own origin: `script-src 'self'` refuses the CDN copy FastAPI links by default.
mkdir -p "$vendor/swagger-ui"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$vendor/swagger-ui/"
for pkg in marked dompurify chart.js swagger-ui-dist; do
  mkdir -p "$vendor/licenses/$pkg" && cp node_modules/"$pkg"/LICENSE* "$vendor/licenses/$pkg/"
done
echo "$lock_sha" > "$stamp"
log "vendored marked, DOMPurify, Chart.js and Swagger UI into $vendor"
