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
#   EVAL_ROWS=1-12 bash training/scripts/gpu_learning_run.sh eval before    # part of the held-out rows
#   EVAL_ROWS=13-24 bash training/scripts/gpu_learning_run.sh eval before   # (one call each: the base
#   bash training/scripts/gpu_learning_run.sh merge before   # model needs ~25 s a row), then one report
#
# EVAL_ROWS=A-B evaluates held-out rows A..B (1-based) into /tmp/results/eval-WHICH-rowsA-B with seed
# 1234+A-1, so each row gets the seed it has in a whole run (eval seeds row i with seed + i - 1);
# `merge WHICH` joins the parts' eval.json (card indices renumbered to the whole file's) into
# /tmp/results/eval-WHICH/eval.json and .md with the summary recomputed, then packs.
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
eval | merge)
  [[ "$1" == eval ]] && for which in ${2:-after before}; do
    case "$which" in
    after) model=/tmp/run/export/model-q4_k_m.gguf ;;
    before) model=models/SmolLM2-135M-Instruct.Q4_1.gguf ;;
    *) echo "eval: after or before, not $which" >&2; exit 2 ;;
    esac
    data=training/data/heldout.jsonl seed=1234 name="eval-$which"
    if [[ -n "${EVAL_ROWS:-}" ]]; then
      first="${EVAL_ROWS%-*}" last="${EVAL_ROWS#*-}"
      name="eval-$which-rows$first-$last" data="/tmp/heldout-rows$first-$last.jsonl" seed=$((1234 + first - 1))
      sed -n "${first},${last}p" training/data/heldout.jsonl > "$data"
    fi
    log "eval $which ${EVAL_ROWS:+rows $EVAL_ROWS (seed $seed)}"
    timeout "${EVAL_TIMEOUT_S:-280}" python3 -m aimed_training.cli eval --model "$model" \
      --data "$data" --out "/tmp/results/$name" --seed "$seed" --parallel 8 --request-timeout-s 300 \
      2>"/tmp/$name.log" || { echo "eval $which failed: $?"; tail -c 3000 "/tmp/$name.log"; }
    cp "/tmp/$name.log" /tmp/results/ 2>/dev/null
    cat "/tmp/results/$name/eval.md" 2>/dev/null
  done
  [[ "$1" == eval && -n "${EVAL_ROWS:-}" ]] && exit 0
  if [[ "$1" == merge ]]; then
    which="${2:?merge after|before}"
    python3 - "$which" <<'PY'
import json, sys
from dataclasses import asdict
from pathlib import Path
from aimed_training.evaluation import MODES, CardOutcome, render_markdown_report, summarize
which = sys.argv[1]
parts = sorted(Path("/tmp/results").glob(f"eval-{which}-rows*/eval.json"), key=lambda p: int(p.parent.name.split("rows")[1].split("-")[0]))
reports = [json.loads(p.read_text(encoding="utf-8")) for p in parts]
outcomes = []
for path, report in zip(parts, reports):
    offset = int(path.parent.name.split("rows")[1].split("-")[0]) - 1
    outcomes += [CardOutcome(**{**card, "row": card["row"] + offset}) for card in report["cards"]]
merged = {
    **reports[0],
    "data": "training/data/heldout.jsonl",
    "rows": sum(r["rows"] for r in reports),
    "seed": 1234,
    "parts": [{"rows": p.parent.name.split("rows")[1], "seed": r["seed"], "data": r["data"]} for p, r in zip(parts, reports)],
    "summary": {mode: asdict(summarize([o for o in outcomes if o.mode == mode])) for mode in MODES},
    "cards": [asdict(o) for o in outcomes],
}
out = Path(f"/tmp/results/eval-{which}")
out.mkdir(parents=True, exist_ok=True)
(out / "eval.json").write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
(out / "eval.md").write_text(render_markdown_report(merged), encoding="utf-8")
print(f"merged {[p.parent.name for p in parts]}: {merged['rows']} rows")
print(render_markdown_report(merged))
PY
  fi
  log "pack"
  cp /tmp/run/summary.json /tmp/run/loss.csv /tmp/run/loss.png /tmp/run/config.yaml /tmp/run/data.sha256 \
    /tmp/run/export/export.json /tmp/results/
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > /tmp/results/gpu.csv
  tar -C /tmp/results -czf "$out/results.tar.gz" .
  tar -C /tmp/run -cf - adapter | split -b 15000000 - "$out/adapter.tar.part-"
  ls -la "$out"
  ;;
*)
  echo "usage: $0 train | eval [after|before] | merge after|before" >&2
  exit 2
  ;;
esac
