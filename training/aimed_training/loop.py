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
from aimed_training.progress import steps

Progress = Callable[[str], None]


@dataclass
class FitStats:
    steps: int
    train_seconds: float
    tokens_seen: int
    losses: list[tuple[int, float]] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    peak_memory_gib: float | None = None
    # What the trainer really ran with (accelerate's mixed_precision, the fp16 loss scale at the end).
    mixed_precision: str = "no"
    loss_scale: float | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    @property
    def final_loss(self) -> float | None:
        return self.losses[-1][1] if self.losses else None


@dataclass(frozen=True)
class Hardware:
    """What the accelerator can do; injected in tests, read from torch otherwise."""

    cuda: bool
    bf16: bool

    @classmethod
    def detect(cls) -> Hardware:
        import torch

        cuda = torch.cuda.is_available()
        return cls(cuda=cuda, bf16=bool(cuda and torch.cuda.is_bf16_supported()))


@dataclass(frozen=True)
class Precision:
    """Mixed precision of a run: Unsloth's recipe, bf16 where supported, else fp16 with a loss scaler."""

    bf16: bool
    fp16: bool

    @property
    def name(self) -> str:
        return "bf16" if self.bf16 else "fp16" if self.fp16 else "fp32"


def choose_precision(config: TrainConfig, hardware: Hardware) -> Precision:
    """bf16 when asked for or supported; otherwise fp16 on CUDA (a T4), fp32 on CPU.

    Unsloth's notebooks pass `fp16 = not is_bfloat16_supported(), bf16 = is_bfloat16_supported()`:
    without fp16 a T4 would train with neither autocast nor a loss scaler.
    """
    bf16 = config.training.bf16 if config.training.bf16 is not None else hardware.bf16
    if bf16 and not hardware.cuda:
        raise ValueError("training.bf16 is true but there is no CUDA GPU; set it to null on CPU")
    return Precision(bf16=bf16, fp16=hardware.cuda and not bf16)


def trainer_arguments(config: TrainConfig, output_dir: Path, hardware: Hardware) -> dict[str, Any]:
    """The keyword arguments of TRL's SFTConfig for a run (kept separate so a test can read them)."""
    settings = config.training
    precision = choose_precision(config, hardware)
    return {
        "output_dir": str(output_dir / "checkpoints"),
        "per_device_train_batch_size": settings.per_device_train_batch_size,
        "gradient_accumulation_steps": settings.gradient_accumulation_steps,
        "warmup_steps": settings.warmup_steps,
        "max_steps": settings.max_steps,
        "learning_rate": settings.learning_rate,
        "optim": settings.optim,
        "weight_decay": settings.weight_decay,
        "lr_scheduler_type": settings.lr_scheduler_type,
        "seed": settings.seed,
        "data_seed": settings.seed,
        "logging_steps": settings.logging_steps,
        "bf16": precision.bf16,
        "fp16": precision.fp16,
        "save_strategy": "no",
        "report_to": "none",
        "remove_unused_columns": False,
        "dataset_kwargs": {"skip_prepare_dataset": True},
        "max_length": config.model.max_seq_length,
        # Our own bar (aimed_training.progress) replaces the trainer's: one bar, plain lines off a terminal.
        "disable_tqdm": True,
    }


def fit(
    model: Any,
    tokenizer: Any,
    features: Sequence[dict[str, list[int]]],
    config: TrainConfig,
    output_dir: Path,
    progress: Progress,
    hardware: Hardware | None = None,
) -> FitStats:
    """Train `model` (already wrapped with LoRA) on `features`; returns the loss curve and throughput."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    hardware = hardware or Hardware.detect()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stats = FitStats(steps=0, train_seconds=0.0, tokens_seen=0)

    class _Recorder(TrainerCallback):  # type: ignore[misc]
        step_started = 0.0
        bar: Any = None

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
                message = f"step {state.global_step}/{state.max_steps} loss {loss:.4f}"
                self.bar.advance(state.global_step - self.bar.done, message)

    def collate(batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        padded = pad_batch(batch, pad_id)
        stats.tokens_seen += int(padded["attention_mask"].sum())
        return padded

    args = SFTConfig(**trainer_arguments(config, output_dir, hardware))
    dataset = Dataset.from_list([dict(f) for f in features])
    recorder = _Recorder()
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        data_collator=collate,
        callbacks=[recorder],
    )
    stats.mixed_precision = str(trainer.accelerator.mixed_precision)
    progress(f"mixed precision: {stats.mixed_precision}")
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    with steps(progress, config.training.max_steps, "train", "step") as bar:
        recorder.bar = bar
        trainer.train()
    stats.train_seconds = time.perf_counter() - started
    stats.steps = trainer.state.global_step
    scaler = getattr(trainer.accelerator, "scaler", None)
    if scaler is not None:
        stats.loss_scale = float(scaler.get_scale())
    if torch.cuda.is_available():
        stats.peak_memory_gib = torch.cuda.max_memory_reserved() / 2**30
    return stats
