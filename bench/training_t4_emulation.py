"""GPU benchmark: the default config on a Llama-3.1-8B-shaped 4-bit base, as a free Colab T4 runs it.

A T4 has no bf16 and 15 GiB of memory. On a bigger GPU this script takes both away before
Unsloth is imported: `torch.cuda.is_bf16_supported()` answers False (so Unsloth and
`aimed_training.loop` pick float16 weights, fp16 autocast and a loss scaler) and
`torch.cuda.set_per_process_memory_fraction` caps PyTorch at 15 GiB. It cannot make the
GPU slower, nor take away kernels the T4 lacks: tokens/s here is the big GPU's.

The base is a random-weight Llama-3.1-8B-shaped bitsandbytes 4-bit checkpoint
(training/scripts/random_llama.py --shape 8b), trained through
`aimed_training.backends.unsloth_backend` + `aimed_training.loop.fit` (what `aimed-train
train` runs) with training/configs/default.yaml (seq 4096, batch 2 x accum 4, LoRA r 32).
It checks that fp16 mixed precision is really on (accelerate's mixed_precision, the loss
scaler's scale, the autocast state seen inside the first decoder layer), reports peak
memory and tokens/s, saves the adapter as a run folder (for `aimed-train export`), then
probes longer rows (batch 2) until one does not fit.

Target: fits with margin, <= 14 GiB reserved.
Run (CUDA + the unsloth stack): python bench/training_t4_emulation.py --base DIR --run DIR --json OUT
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
T4_MEMORY_BYTES = 15 * 2**30  # a T4 reports 15,360 MiB


def _probe(model: Any, tokenizer: Any, config: Any, seq_len: int, workdir: Path) -> dict[str, Any]:
    import torch
    from training_unsloth_speed import synthetic_rows

    from aimed_training.loop import Hardware, fit

    probe = config.model_copy(
        update={
            "model": config.model.model_copy(update={"max_seq_length": seq_len}),
            "training": config.training.model_copy(
                update={"max_steps": 2, "warmup_steps": 0, "gradient_accumulation_steps": 1}
            ),
            "output_dir": workdir / f"probe-{seq_len}",
        }
    )
    rows = synthetic_rows(4, seq_len, 128256, 7)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    try:
        stats = fit(
            model, tokenizer, rows, probe, Path(probe.output_dir), lambda _: None, Hardware(True, False)
        )
    except torch.OutOfMemoryError as exc:
        return {"seq_len": seq_len, "fits": False, "error": str(exc).splitlines()[0][:200]}
    return {
        "seq_len": seq_len,
        "fits": True,
        "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2),
        "seconds_per_step": round(statistics.median(stats.step_seconds), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", type=Path, help="the random 8B bnb-4bit checkpoint (random_llama.py)")
    parser.add_argument("--run", type=Path, default=Path("/tmp/aimed-bench-t4/run"), help="run to write")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--probe", type=int, nargs="*", default=[6144, 8192, 12288, 16384])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("skipped: this benchmark needs a CUDA GPU and the unsloth stack (see docs/benchmarks.md)")
        return 0
    if args.base is None:
        parser.error("--base is required: build it with training/scripts/random_llama.py --shape 8b")
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, T4_MEMORY_BYTES / total))
    torch.cuda.is_bf16_supported = lambda *a, **k: False  # a T4 (sm_75) has no bf16

    import unsloth  # noqa: F401  (patches transformers/trl before they are imported)
    from training_unsloth_speed import fit_figures, synthetic_rows

    from aimed_training.backends import unsloth_backend
    from aimed_training.config import dump_config, load_config
    from aimed_training.loop import Hardware, fit

    base = load_config(REPO / "training/configs/default.yaml")
    config = base.model_copy(
        update={
            "model": base.model.model_copy(update={"name": str(args.base)}),
            "training": base.training.model_copy(
                update={"max_steps": args.steps, "warmup_steps": min(10, args.steps), "bf16": False}
            ),
            "output_dir": args.run,
        }
    )
    per_step = config.training.per_device_train_batch_size * config.training.gradient_accumulation_steps
    rows = synthetic_rows(per_step * args.steps, config.model.max_seq_length, 128256, config.training.seed)
    torch.cuda.reset_peak_memory_stats()
    # Loaded for the longest probe: Unsloth truncates rows longer than the max_seq_length it loaded with.
    longest = max([config.model.max_seq_length, *args.probe])
    model, tokenizer = unsloth_backend.load(
        config.model_copy(update={"model": config.model.model_copy(update={"max_seq_length": longest})})
    )
    autocast_seen: list[tuple[bool, str]] = []

    def record_autocast(module: Any, inputs: Any) -> None:
        autocast_seen.append((torch.is_autocast_enabled("cuda"), str(torch.get_autocast_dtype("cuda"))))

    layers = model.base_model.model.model.layers
    hook = layers[0].register_forward_pre_hook(record_autocast)
    stats = fit(
        model, tokenizer, rows, config, args.run, lambda line: print(line, flush=True), Hardware(True, False)
    )
    hook.remove()
    figures: dict[str, Any] = {
        "gpu": torch.cuda.get_device_name(0),
        "memory_cap_gib": round(min(total, T4_MEMORY_BYTES) / 2**30, 2),
        "bf16_supported_reported": torch.cuda.is_bf16_supported(),
        "base_compute_dtype": str(getattr(layers[0].self_attn.q_proj.base_layer, "compute_dtype", None)),
        "lora_weight_dtype": str(next(p.dtype for n, p in model.named_parameters() if "lora_A" in n)),
        "mixed_precision": stats.mixed_precision,
        "loss_scale_at_end": stats.loss_scale,
        "autocast_in_first_layer": sorted(set(autocast_seen)),
        **fit_figures(stats, config),
    }
    print(json.dumps(figures, indent=2), flush=True)
    model.save_pretrained(args.run / "adapter")
    tokenizer.save_pretrained(args.run / "adapter")
    (args.run / "config.yaml").write_text(dump_config(config), encoding="utf-8")
    probes = []
    for seq_len in args.probe:
        result = _probe(model, tokenizer, config, seq_len, args.run)
        print(json.dumps(result), flush=True)
        probes.append(result)
        if not result["fits"]:
            break
    figures["longer_rows"] = probes
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
