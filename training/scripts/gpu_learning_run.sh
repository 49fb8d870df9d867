#!/usr/bin/env bash
# The real learning run of docs/training-report.md, as run on a rented GPU machine with no network:
# SmolLM2-135M-Instruct (dequantized from the demo GGUF) fine-tuned on the gold train split with the
# unsloth backend, merged and exported to GGUF q4_k_m, then `eval` before vs after on the held-out
# split, both with llama-server (the CPU build of infra/llama/build.sh, 16 threads, 8 slots).
#
#   bash training/scripts/gpu_learning_run.sh train          # validate, train, export      (~8 min)
#   bash training/scripts/gpu_learning_run.sh eval           # eval after, eval before, pack
#   bash training/scripts/gpu_learning_run.sh eval after     # one eval (then pack), so that the two
#   bash training/scripts/gpu_learning_run.sh eval before    # fit two calls; EVAL_TIMEOUT_S each (280)
#
# Inputs carried next to the repository (docs/benchmarks.md says how they are made): the demo GGUF
# xz-compressed in two pieces (.gpu-a/gguf.xz.part-a or $PART_A, .gpu-b/gguf.xz.part-b; with the
# contracts' wheels the plain GGUF no longer fits two 64 MiB calls), .gpu-b/llama-bin.tar.xz
# (llama-server, llama-quantize), .gpu-b/llama-src.tar.gz (convert_hf_to_gguf.py, conversion/,
# gguf-py/), .gpu-b/smollm2-tokenizer.tar.gz (the tokenizer saved by transformers 5.23: the GPU
# image's 5.17 rebuilds SmolLM2's byte-level BPE from the GGUF wrongly) and the wheels in /tmp/site.
# Results: $OUT/results.tar.gz (reports, loss curve, run record) and the adapter in 15 MB pieces.
#
# Made on the development machine (the device tool carries at most 64 MiB per call):
#   G=models/SmolLM2-135M-Instruct.Q4_1.gguf; S=~/.cache/aimed/llama.cpp-0.3.36-r2
#   sha256sum $G > .gpu-b/gguf.sha256; xz -9 -T2 -c $G > /tmp/gguf.xz
#   head -c 37800000 /tmp/gguf.xz > .gpu-a/gguf.xz.part-a; tail -c +37800001 /tmp/gguf.xz > .gpu-b/gguf.xz.part-b
#   tar -C $S/bin -cJf .gpu-b/llama-bin.tar.xz llama-server llama-quantize
#   tar -C $S/src -czf .gpu-b/llama-src.tar.gz convert_hf_to_gguf.py conversion gguf-py
#   python -c "from aimed_training.config import ModelConfig; from aimed_training.backends.hf_backend \
#     import load_base_tokenizer; load_base_tokenizer(ModelConfig(name='models', \
#     gguf_file='SmolLM2-135M-Instruct.Q4_1.gguf', load_in_4bit=False)).save_pretrained('/tmp/tok/smollm2-tokenizer')"
#   tar -C /tmp/tok -czf .gpu-b/smollm2-tokenizer.tar.gz smollm2-tokenizer
#   git archive HEAD training/aimed_training libs/contracts libs/llama libs/cardgen > .gpu-a/src.tar
# then back-to-back device calls: wheels + part-a (carry .whl .gpu-a, copy part-a to /tmp, unpack
# src.tar into /tmp/src and set AIMED_SRC=/tmp/src in the calls after it),
# `PART_A=/tmp/gguf.xz.part-a bash training/scripts/gpu_learning_run.sh train` (carry .gpu-b), and
# `bash training/scripts/gpu_learning_run.sh eval` (or `eval after` and `eval before`, one call each).
set -uo pipefail
repo="$(pwd)"
out="${OUT:-/tmp/aimed-out}"
export AIMED_LLAMA_BIN=/tmp/llama/bin AIMED_LLAMA_SRC=/tmp/llama/src
# AIMED_SRC: a folder holding `git archive HEAD training/aimed_training libs/contracts libs/llama
# libs/cardgen`, so that uncommitted edits in a shared working tree do not change the run.
src="${AIMED_SRC:-$repo}"
export PYTHONPATH="/tmp/site:$src/training:$src/libs/contracts:$src/libs/llama:$src/libs/cardgen"
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
cli() { python3 -m aimed_training.cli "$@"; }
log() { echo "=== $(date -u +%H:%M:%S) $*"; }
mkdir -p "$out" /tmp/results

case "${1:-}" in
train)
  mkdir -p models /tmp/llama/bin /tmp/llama/src
  cat "${PART_A:-.gpu-a/gguf.xz.part-a}" .gpu-b/gguf.xz.part-b | xz -d > models/SmolLM2-135M-Instruct.Q4_1.gguf
  sha256sum -c .gpu-b/gguf.sha256 || exit 1
  tar -C /tmp/llama/bin -xJf .gpu-b/llama-bin.tar.xz
  tar -C /tmp/llama/src -xzf .gpu-b/llama-src.tar.gz
  tar -C models -xzf .gpu-b/smollm2-tokenizer.tar.gz
  python3 - <<'PY'
import yaml
config = yaml.safe_load(open("training/configs/smollm2-gpu.yaml"))
config["model"]["tokenizer"] = "models/smollm2-tokenizer"
yaml.safe_dump(config, open("/tmp/smollm2-gpu.yaml", "w"), sort_keys=False)
PY
  log "validate"
  cli validate training/data/train.jsonl --config /tmp/smollm2-gpu.yaml | tail -1
  log "train"
  cli train --config /tmp/smollm2-gpu.yaml --output /tmp/run 2>&1 | grep -v "^{'" | grep -v "^\[aimed-train\] step" | tail -25
  grep -E '"(model|type|byte_fallback)"' /tmp/run/base-hf/tokenizer.json | head -3
  log "export"
  cli export --run /tmp/run --out /tmp/run/export 2>&1 | tail -2
  python3 -c "
import sys; sys.path.insert(0, '/tmp/llama/src/gguf-py')
from gguf import GGUFReader
r = GGUFReader('/tmp/run/export/model-q4_k_m.gguf')
print({k: r.get_field(k).contents() for k in ('tokenizer.ggml.model', 'tokenizer.ggml.pre', 'general.file_type')})"
  ;;
eval)
  for which in ${2:-after before}; do
    case "$which" in
    after) model=/tmp/run/export/model-q4_k_m.gguf ;;
    before) model=models/SmolLM2-135M-Instruct.Q4_1.gguf ;;
    *) echo "eval: after or before, not $which" >&2; exit 2 ;;
    esac
    log "eval $which"
    timeout "${EVAL_TIMEOUT_S:-280}" python3 -m aimed_training.cli eval --model "$model" \
      --data training/data/heldout.jsonl --out "/tmp/results/eval-$which" --parallel 8 --request-timeout-s 300 \
      2>"/tmp/eval-$which.log" || { echo "eval $which failed: $?"; tail -c 3000 "/tmp/eval-$which.log"; }
  done
  log "pack"
  cp /tmp/run/summary.json /tmp/run/loss.csv /tmp/run/loss.png /tmp/run/config.yaml /tmp/run/data.sha256 \
    /tmp/run/export/export.json /tmp/results/
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > /tmp/results/gpu.csv
  tar -C /tmp/results -czf "$out/results.tar.gz" .
  tar -C /tmp/run -cf - adapter | split -b 15000000 - "$out/adapter.tar.part-"
  ls -la "$out"
  ;;
*)
  echo "usage: $0 train | eval [after|before]" >&2
  exit 2
  ;;
esac
