"""The supervised fine-tuning loop shared by both backends (TRL's SFTTrainer on our own tokens).

Rows are tokenized by `formatting.encode_row` before they get here, so TRL's own dataset
preparation is skipped: the labels we built (prompt masked) are the ones trained on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimed_training.config import TrainConfig
from aimed_training.formatting import pad_batch

Progress = Callable[[str], None]


@dataclass
class FitStats:
    steps: int
    train_seconds: float
    tokens_seen: int
    losses: list[tuple[int, float]] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    peak_memory_gib: float | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    @property
    def final_loss(self) -> float | None:
        return self.losses[-1][1] if self.losses else None


def _use_bf16(config: TrainConfig) -> bool:
    import torch

    if config.training.bf16 is not None:
        return config.training.bf16
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def fit(
    model: Any,
    tokenizer: Any,
    features: Sequence[dict[str, list[int]]],
    config: TrainConfig,
    output_dir: Path,
    progress: Progress,
) -> FitStats:
    """Train `model` (already wrapped with LoRA) on `features`; returns the loss curve and throughput."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    settings = config.training
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stats = FitStats(steps=0, train_seconds=0.0, tokens_seen=0)

    class _Recorder(TrainerCallback):  # type: ignore[misc]
        step_started = 0.0

        def on_step_begin(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            self.step_started = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            stats.step_seconds.append(time.perf_counter() - self.step_started)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "loss" in logs:
                loss = float(logs["loss"])
                stats.losses.append((state.global_step, loss))
                progress(f"step {state.global_step}/{state.max_steps} loss {loss:.4f}")

    def collate(batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        padded = pad_batch(batch, pad_id)
        stats.tokens_seen += int(padded["attention_mask"].sum())
        return padded

    args = SFTConfig(
        output_dir=str(output_dir / "checkpoints"),
        per_device_train_batch_size=settings.per_device_train_batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        warmup_steps=settings.warmup_steps,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        optim=settings.optim,
        weight_decay=settings.weight_decay,
        lr_scheduler_type=settings.lr_scheduler_type,
        seed=settings.seed,
        data_seed=settings.seed,
        logging_steps=settings.logging_steps,
        bf16=_use_bf16(config),
        save_strategy="no",
        report_to="none",
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
        max_length=config.model.max_seq_length,
        disable_tqdm=True,
    )
    dataset = Dataset.from_list([dict(f) for f in features])
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        data_collator=collate,
        callbacks=[_Recorder()],
    )
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    trainer.train()
    stats.train_seconds = time.perf_counter() - started
    stats.steps = trainer.state.global_step
    if torch.cuda.is_available():
        stats.peak_memory_gib = torch.cuda.max_memory_reserved() / 2**30
    return stats
