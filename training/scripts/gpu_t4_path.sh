#!/usr/bin/env bash
# The learner's path proven on a rented GPU machine with no network (docs/benchmarks.md,
# "Training: the learner's T4 path"): three device calls, results in $OUT.
#
#   bash training/scripts/gpu_t4_path.sh tiny     # (a) 4-bit tiny Llama-3.1: train, export, GGUF, card; (d) notebook
#   bash training/scripts/gpu_t4_path.sh t4       # (b) 8B shape as a T4: fp16, 15 GiB cap; saves a run
#   bash training/scripts/gpu_t4_path.sh export   # (c) export of that 8B run: RAM and disk per stage
#
# Carried next to the repository (made on the development machine):
#   .whl/      the Unsloth stack + papermill/ipykernel wheels (docs/benchmarks.md lists them)
#   .gpu-t4/   smollm2-tokenizer/ (the demo GGUF's tokenizer saved by transformers 5.23:
#              load_base_tokenizer(ModelConfig(name="models", gguf_file=SMOLLM2_GGUF, load_in_4bit=False)).save_pretrained(...)),
#              llama-bin.tar.xz (llama-server, llama-quantize of infra/llama/build.sh),
#              llama-src.tar.gz (convert_hf_to_gguf.py, conversion/, gguf-py/),
#              src/ (git archive HEAD libs/contracts libs/llama libs/cardgen | tar -x -C .gpu-t4/src)
set -uo pipefail
repo="$(pwd)"
out="${OUT:-/tmp/aimed-out}"
work=/tmp/t4
mkdir -p "$out" "$work"
if [[ ! -d /tmp/site/unsloth ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
if [[ ! -x /tmp/llama/bin/llama-server ]]; then
  mkdir -p /tmp/llama/bin /tmp/llama/src
  tar -C /tmp/llama/bin -xJf .gpu-t4/llama-bin.tar.xz
  tar -C /tmp/llama/src -xzf .gpu-t4/llama-src.tar.gz
fi
export AIMED_LLAMA_BIN=/tmp/llama/bin AIMED_LLAMA_SRC=/tmp/llama/src
# The committed libraries (git archive HEAD into .gpu-t4/src): the working tree it travels in
# may hold other work in progress.
src="$repo/.gpu-t4/src"
export PYTHONPATH="/tmp/site:$repo/training:$src/libs/contracts:$src/libs/llama:$src/libs/cardgen:$repo/bench"
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
tok="$repo/.gpu-t4/smollm2-tokenizer"
cli() { python3 -m aimed_training.cli "$@"; }
log() { echo "=== $(date -u +%H:%M:%S) $*"; }
# The learner's own file: the gold rows with only the three columns of their plan.
python3 - <<'PY'
import json
rows = []
for name in ("train", "heldout"):
    for line in open(f"training/data/{name}.jsonl", encoding="utf-8"):
        row = json.loads(line)
        rows.append({k: row[k] for k in ("tema", "contexto_mcp", "casos_generados")})
with open("/tmp/t4/learner.jsonl", "w", encoding="utf-8") as handle:
    handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
PY

python3 -c "import unsloth, aimed_training.evaluation, papermill, ipykernel; print('imports ok')" 2>&1 | tail -1

case "${1:-}" in
tiny)
  log "build a random Llama-3.1-architecture model (tiny) as a bitsandbytes 4-bit checkpoint"
  python3 training/scripts/random_llama.py --shape tiny --tokenizer $tok --out $work/tiny-bnb-4bit 2>&1 | grep -v Warning | tail -3
  python3 - <<'PY'
import json, yaml
config = yaml.safe_load(open("training/configs/default.yaml"))
config["model"]["name"] = "/tmp/t4/tiny-bnb-4bit"
yaml.safe_dump(config, open("/tmp/t4/tiny.yaml", "w"), sort_keys=False)
print(json.load(open("/tmp/t4/tiny-bnb-4bit/config.json"))["quantization_config"])
PY
  log "train (unsloth backend, the learner's file, 20% held out)"
  cli train --config $work/tiny.yaml --data $work/learner.jsonl --heldout-fraction 0.2 --output $work/run-tiny \
    --max-steps 30 2>&1 | grep -v "^{'" | grep -Ev "train: step ([0-9]|1[0-9]|2[0-8])/" | tail -22
  log "Unsloth's own 4-bit merge, offline (what export used to call)"
  python3 - <<'PY' 2>&1 | tail -4
import unsloth
from unsloth import FastLanguageModel
model, tokenizer = FastLanguageModel.from_pretrained("/tmp/t4/run-tiny/adapter", max_seq_length=4096, load_in_4bit=True)
try:
    model.save_pretrained_merged("/tmp/t4/unsloth-merged", tokenizer, save_method="merged_16bit")
    print("UNSLOTH MERGE OK")
except Exception as exc:
    print(f"UNSLOTH MERGE FAILED: {type(exc).__name__}: {str(exc)[:400]}")
PY
  log "export (shard-by-shard merge of the 4-bit base, GGUF f16, q4_k_m)"
  cli export --run $work/run-tiny 2>&1 | tail -6
  python3 -c "
import sys; sys.path.insert(0, '/tmp/llama/src/gguf-py')
from gguf import GGUFReader
r = GGUFReader('$work/run-tiny/export/model-q4_k_m.gguf')
print({k: r.get_field(k).contents() for k in ('general.architecture', 'tokenizer.ggml.model', 'general.file_type', 'llama.block_count', 'llama.vocab_size')})"
  # The pinned llama-server segfaults right after "threadpool init" when it repacks quantized weights
  # for the CPU on these Xeon hosts (seen here with the tiny q4_k_m/q8_0, and on the development
  # machine with the demo SmolLM2 GGUF too); f16 loads. LLAMA_ARG_REPACK=0 is its --no-repack switch.
  export LLAMA_ARG_REPACK=0
  log "eval: llama-server + one card through the generator (json_schema and no schema)"
  timeout 400 python3 -m aimed_training.cli eval --run $work/run-tiny --limit 1 --max-tokens 4096 --ctx-size 8192 --request-timeout-s 300 2>&1 | tail -16
  python3 -c "
import json; r = json.load(open('$work/run-tiny/eval/eval.json'))
for c in r['cards']: print({k: c[k] for k in ('mode', 'kind', 'schema_valid', 'grounded', 'completion_tokens', 'error')})"
  log "notebook, headless (papermill -> nbclient), LOCAL_RUN with local paths"
  timeout 420 python3 -m papermill training/notebooks/aimed_training_colab.ipynb $work/notebook-out.ipynb \
    -p LOCAL_RUN True -p REPO_DIR "$repo" -p CONFIG $work/tiny.yaml -p DATA $work/learner.jsonl \
    -p MAX_STEPS 10 -p EVAL_LIMIT 1 -p MIN_GROUNDED 0.8 -p RUN_DIR $work/run-nb -p DRIVE_DIR $work/drive \
    --log-output --no-progress-bar 2>&1 | grep -E "^\\$ aimed-train|promotion gate|Executing|\\['|Error|error" | tail -25
  echo "notebook exit: ${PIPESTATUS[0]}"
  ls -la $work/drive
  mkdir -p /tmp/pack/tiny
  cp $work/run-tiny/summary.json $work/run-tiny/config.yaml $work/run-tiny/data/split.json $work/run-tiny/loss.csv \
    $work/run-tiny/export/export.json $work/run-tiny/eval/eval.md $work/run-tiny/eval/eval.json /tmp/pack/tiny/
  cp $work/notebook-out.ipynb /tmp/pack/tiny/notebook-executed.ipynb.json
  ls $work/drive > /tmp/pack/tiny/drive-listing.txt
  tar -C /tmp/pack -czf "$out/tiny.tar.gz" tiny
  ;;
t4)
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  log "build a random Llama-3.1-8B-shaped bitsandbytes 4-bit checkpoint"
  [[ -f $work/8b-bnb-4bit/config.json ]] || python3 training/scripts/random_llama.py --shape 8b --tokenizer $tok --out $work/8b-bnb-4bit 2>&1 | grep -v Warning | tail -2
  log "T4 emulation: bf16 reported unsupported, 15 GiB cap, default config"
  python3 bench/training_t4_emulation.py --base $work/8b-bnb-4bit --run $work/run-8b --steps 6 \
    --json "$out/t4_emulation.json" 2>&1 | grep -v "^{'" | tail -60
  ;;
export)
  if [[ ! -f $work/run-8b/adapter/adapter_config.json ]]; then
    log "no 8B run on this machine: build the base and train 2 steps (as in t4) to get an adapter"
    [[ -f $work/8b-bnb-4bit/config.json ]] || python3 training/scripts/random_llama.py --shape 8b --tokenizer $tok --out $work/8b-bnb-4bit 2>&1 | grep -v Warning | tail -1
    python3 bench/training_t4_emulation.py --base $work/8b-bnb-4bit --run $work/run-8b --steps 2 --probe 2>&1 | grep -E "tokens_per_second_steady|peak_memory_reserved"
  fi
  log "export of the 8B run: per-stage RSS, seconds, bytes (export.json)"
  df -B1 /tmp | tail -1
  du -sb $work/8b-bnb-4bit
  /usr/bin/time -v python3 -m aimed_training.cli export --run $work/run-8b 2>&1 | grep -Ev "^\\[aimed-train\\] merge: .*tensor" | tail -30
  cp $work/run-8b/export/export.json "$out/export_8b.json"
  ls -la $work/run-8b/export
  df -B1 /tmp | tail -1
  ;;
*)
  echo "usage: $0 tiny|t4|export" >&2
  exit 2
  ;;
esac
