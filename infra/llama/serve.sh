#!/usr/bin/env bash
# start|stop|status a llama-server on MODEL_PATH (default: the demo GGUF) at LLAMA_PORT.
# Logs and pid live in var/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${LLAMA_PORT:-8088}"
pidfile="$repo/var/run/llama-$port.pid"
logfile="$repo/var/log/llama-$port.log"
mkdir -p "$repo/var/run" "$repo/var/log"
case "${1:-}" in
  start)
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "llama-server already running on :$port (pid $(cat "$pidfile"))"; exit 0
    fi
    bin="$(bash "$here/build.sh")"
    model="${MODEL_PATH:-}"
    [[ -n "$model" ]] || model="$(bash "$here/fetch_model.sh")"
    [[ -f "$model" ]] || { echo "MODEL_PATH=$model does not exist: point it at a .gguf file" >&2; exit 1; }
    "$bin/llama-server" -m "$model" --host 127.0.0.1 --port "$port" \
      --ctx-size "${LLAMA_CTX_SIZE:-8192}" --parallel "${LLAMA_PARALLEL:-2}" \
      --threads "${LLAMA_THREADS:-2}" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 120); do
      if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
        echo "llama-server ready on http://127.0.0.1:$port ($(basename "$model")); log: $logfile"; exit 0
      fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "llama-server exited; see $logfile" >&2; tail -20 "$logfile" >&2; exit 1; }
      sleep 0.5
    done
    echo "llama-server did not become healthy in 60 s; see $logfile" >&2; exit 1 ;;
  stop)
    if [[ -f "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; echo "stopped llama-server on :$port"; else echo "no llama-server recorded on :$port"; fi ;;
  status)
    curl -fsS "http://127.0.0.1:$port/health" && echo ;;
  *) echo "usage: serve.sh start|stop|status" >&2; exit 2 ;;
esac
