"""`aimed-train train`: gold rows → chat-formatted tokens → LoRA fine-tune → adapter + run record.

A run folder holds: adapter/ (LoRA weights + tokenizer), config.yaml (resolved),
data.sha256, loss.csv, loss.png and summary.json (steps, tokens/s, peak memory).
Rows longer than max_seq_length stop the run before any training: they are never cut.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from aimed_training.config import TrainConfig, dump_config
from aimed_training.curves import write_loss_curve
from aimed_training.dataset import data_hash, read_jsonl
from aimed_training.formatting import encode_row
from aimed_training.loop import FitStats, Progress, fit


class TrainingDataError(ValueError):
    """The data cannot be trained on as it is; the message names the lines."""


@dataclass(frozen=True)
class RunResult:
    output_dir: Path
    stats: FitStats


def train(config: TrainConfig, progress: Progress) -> RunResult:
    from aimed_training.backends import load_for_training

    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    lines = list(read_jsonl(config.data))
    unreadable = [f"line {line.line_no}: {line.error}" for line in lines if line.row is None]
    if unreadable:
        raise TrainingDataError(f"{config.data}: {'; '.join(unreadable)}")
    if not lines:
        raise TrainingDataError(f"{config.data} has no rows")

    progress(f"loading {config.model.name} with the {config.backend} backend")
    model, tokenizer = load_for_training(config)
    progress(f"tokenizing {len(lines)} rows with the model's chat template")
    features = []
    too_long = []
    for line in lines:
        assert line.row is not None
        example = encode_row(tokenizer, line.row)
        if example.n_tokens > config.model.max_seq_length:
            too_long.append(f"line {line.line_no}: {example.n_tokens} tokens")
        features.append(example.as_features())
    if too_long:
        raise TrainingDataError(
            f"{config.data}: rows longer than max_seq_length {config.model.max_seq_length} "
            f"(shorten the context or raise model.max_seq_length): {'; '.join(too_long)}"
        )

    stats = fit(model, tokenizer, features, config, output_dir, progress)
    if stats.final_loss is None or not all(math.isfinite(loss) for _, loss in stats.losses):
        raise RuntimeError(f"training produced a non-finite loss: {stats.losses[-5:]}")

    model.save_pretrained(output_dir / "adapter")
    tokenizer.save_pretrained(output_dir / "adapter")
    (output_dir / "config.yaml").write_text(dump_config(config), encoding="utf-8")
    (output_dir / "data.sha256").write_text(f"{data_hash(config.data)}  {config.data}\n", encoding="utf-8")
    write_loss_curve(
        stats.losses,
        output_dir / "loss.csv",
        output_dir / "loss.png",
        f"{config.model.gguf_file or config.model.name} ({config.backend})",
    )
    summary = {
        "backend": config.backend,
        "model": config.model.name,
        "rows": len(features),
        "steps": stats.steps,
        "train_seconds": round(stats.train_seconds, 3),
        "tokens_seen": stats.tokens_seen,
        "tokens_per_second": round(stats.tokens_per_second, 1),
        "peak_memory_gib": None if stats.peak_memory_gib is None else round(stats.peak_memory_gib, 2),
        "mixed_precision": stats.mixed_precision,
        "loss_scale": stats.loss_scale,
        "first_loss": stats.losses[0][1],
        "final_loss": stats.final_loss,
    }
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    progress(f"saved adapter and run record to {output_dir}")
    return RunResult(output_dir, stats)
