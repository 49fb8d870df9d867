#!/usr/bin/env bash
# `make run`: start the whole system locally (detached), create the local learner if
# absent, load the demo syllabus into an empty database, print the URL and the token.
# MODEL_PATH=/path/model.gguf serves another GGUF; LLM_BASE_URL=http://host:port uses
# an external LM Studio / Ollama / llama-server instead of starting one (with
# LLM_BACKEND=openai for LM Studio and Ollama). DATABASE_URL picks another database;
# AIMED_VAR_DIR (default var/) holds the SQLite database, logs, pids and the token;
# AIMED_{PROXY,GATEWAY,SCHEDULER,GENERATOR,LLAMA}_PORT move a process to another port.
# The proxy listens on 127.0.0.1 only; AIMED_BIND_ADDRESS=0.0.0.0 opts in to the network.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
py="$repo/.venv/bin/python"
[[ -x "$py" ]] || { echo "No .venv: run \`make setup\` first." >&2; exit 1; }
var="${AIMED_VAR_DIR:-$repo/var}"
mkdir -p "$var/log" "$var/run" "$var/data"

if "$py" -m infra.stack status >/dev/null 2>&1; then
  echo "AI-Med Learning is already running."
else
  # The learner's own model server (Ollama, LM Studio, llama-server) if one runs here:
  # infra/model_probe.py says what it found and exports LLM_BASE_URL and the model.
  # AIMED_MODEL=<name> picks one, AIMED_MODEL=demo keeps the demo model.
  model_env="$("$py" -m infra.model_probe)"
  eval "$model_env"
  "$py" -m infra.stack start
fi
# The CLI below reads the same gateway settings the running gateway got.
eval "$("$py" -m infra.stack env)"

token_ok() {
  [[ -s "$var/token" ]] &&
    curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$var/token")" "$AIMED_PROXY_URL/api/v1/me"
}
if ! token_ok; then
  (umask 077; "$repo/.venv/bin/aimed-gateway" create-learner --name "${AIMED_LEARNER_NAME:-local}" \
     --id-file "$var/learner_id" >"$var/token.new")
  mv "$var/token.new" "$var/token"
  echo "Created the local learner (id $(cat "$var/learner_id"))."
fi
"$repo/.venv/bin/aimed-gateway" load-demo --url "$AIMED_PROXY_URL" --token-file "$var/token" \
  --gold training/data/gold

cat <<MSG

  AI-Med Learning: open this link to sign in and study (it holds your token):
    $("$py" -m infra.login_link "$AIMED_PROXY_URL" "$var/token")
  Token (also in $var/token, for Ajustes or the API): $(cat "$var/token")
  API docs: $AIMED_PROXY_URL/api/docs
  Logs: $var/log/   Stop: make stop
MSG
if [[ "${AIMED_BIND_ADDRESS:-127.0.0.1}" != "127.0.0.1" ]]; then
  echo "  AIMED_BIND_ADDRESS=$AIMED_BIND_ADDRESS: other machines on your network can reach it (the token still guards the API)."
fi
if [[ "$AIMED_GATEWAY_GENERATION_POLICY" == "flag" ]]; then
  cat <<MSG
  Policy flag: cards that fail the grounding gate are shown with a warning listing their
  problems (the demo model's nearly all do). MODEL_PATH or LLM_BASE_URL with a real model
  runs with the strict default; AIMED_GATEWAY_GENERATION_POLICY=strict forces it.
MSG
fi
