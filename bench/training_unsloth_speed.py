"""GPU benchmark: the `unsloth` backend with the default config on a Llama-3.1-8B-shaped model.

Random weights are enough for speed and memory: the model is built on the GPU from a
LlamaConfig (Llama-3.1-8B's shape), saved once, and loaded by the backend exactly as
`aimed-train train` loads a real base (4-bit, LoRA r 32, rslora, seq 4096, batch 2,
grad accum 4, adamw_8bit). The tokenizer is a throwaway word-level one with the
model's 128,256-token vocabulary; sequences are full 4096-token rows whose first
quarter (the "prompt") is masked out of the loss, like the real rows.

Targets on an H100: >= 9,500 tokens/s and <= 9 GiB peak GPU memory.
Run (needs CUDA + the unsloth stack): python bench/training_unsloth_speed.py --steps 8
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from aimed_training.config import TrainConfig, load_config
from aimed_training.formatting import IGNORE_INDEX
from aimed_training.loop import FitStats

REPO = Path(__file__).resolve().parents[1]
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"]


def build_random_llama(folder: Path) -> None:
    """Llama-3.1-8B's shape with random bf16 weights, made on the GPU, saved as a HF folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    config = LlamaConfig(
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        max_position_embeddings=131072,
        rope_theta=500000.0,
        rms_norm_eps=1e-5,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=2,
        tie_word_embeddings=False,
        torch_dtype="bfloat16",
    )
    started = time.perf_counter()
    torch.manual_seed(1234)
    with torch.device("cuda"):
        torch.set_default_dtype(torch.bfloat16)
        model = LlamaForCausalLM(config)
        torch.set_default_dtype(torch.float32)
    model.save_pretrained(folder, max_shard_size="20GB")
    vocab = {token: index for index, token in enumerate(SPECIALS)}
    vocab.update({f"w{index}": index for index in range(len(SPECIALS), config.vocab_size)})
    word_level = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|end_of_text|>"))
    word_level.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=word_level, bos_token=SPECIALS[0], eos_token=SPECIALS[1], pad_token=SPECIALS[2]
    )
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}"
    tokenizer.save_pretrained(folder)
    del model
    torch.cuda.empty_cache()
    print(f"built random Llama-3.1-8B-shaped model in {time.perf_counter() - started:.1f}s", flush=True)


def synthetic_rows(count: int, seq_len: int, vocab: int, seed: int) -> list[dict[str, list[int]]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        ids = [rng.randrange(len(SPECIALS), vocab) for _ in range(seq_len)]
        prompt = seq_len // 4
        rows.append(
            {
                "input_ids": ids,
                "labels": [IGNORE_INDEX] * prompt + ids[prompt:],
                "attention_mask": [1] * seq_len,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps (>= 5)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/aimed-bench-unsloth"))
    parser.add_argument("--config", type=Path, default=REPO / "training/configs/default.yaml")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        # `make bench` runs every script; on a machine without a GPU this one has nothing to measure.
        print("skipped: this benchmark needs a CUDA GPU and the unsloth stack (see docs/benchmarks.md)")
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import unsloth  # noqa: F401  (patches transformers/trl before they are imported)

    from aimed_training.backends import unsloth_backend
    from aimed_training.loop import fit

    model_dir = args.workdir / "random-llama-3.1-8b"
    if not (model_dir / "config.json").is_file():
        build_random_llama(model_dir)
    base = load_config(args.config)
    config = TrainConfig.model_validate(
        {
            **base.model_dump(),
            "model": {**base.model.model_dump(), "name": str(model_dir), "gguf_file": None},
            "training": {
                **base.training.model_dump(),
                "max_steps": args.steps,
                "warmup_steps": min(10, args.steps),
            },
            "output_dir": str(args.workdir / "run"),
        }
    )
    per_step = config.training.per_device_train_batch_size * config.training.gradient_accumulation_steps
    rows = synthetic_rows(per_step * args.steps, config.model.max_seq_length, 128256, config.training.seed)
    torch.cuda.reset_peak_memory_stats()
    model, tokenizer = unsloth_backend.load(config)
    stats = fit(model, tokenizer, rows, config, Path(config.output_dir), lambda line: print(line, flush=True))
    figures = {
        "gpu": torch.cuda.get_device_name(0),
        "tokens_per_second_overall": round(stats.tokens_per_second, 1),
        **fit_figures(stats, config),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def fit_figures(stats: FitStats, config: TrainConfig) -> dict[str, Any]:
    """What one fit measured (this bench and training_t4_emulation.py): shape, speed, memory, losses."""
    import torch

    tokens_per_step = stats.tokens_seen / max(stats.steps, 1)
    steady = statistics.median(stats.step_seconds[1:]) if len(stats.step_seconds) > 1 else stats.train_seconds
    return {
        "steps": stats.steps,
        "seq_len": config.model.max_seq_length,
        "batch": config.training.per_device_train_batch_size,
        "grad_accum": config.training.gradient_accumulation_steps,
        "tokens_per_step": tokens_per_step,
        "seconds_per_step_median_after_first": round(steady, 3),
        "tokens_per_second_steady": round(tokens_per_step / steady, 1),
        "peak_memory_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2),
        "peak_memory_allocated_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "losses": stats.losses,
        "step_seconds": [round(s, 3) for s in stats.step_seconds],
    }


if __name__ == "__main__":
    raise SystemExit(main())
