"""The training configuration: one YAML file, validated at once, saved resolved next to the adapter.

The defaults are the original notebook's hyper-parameters (ARCHITECTURE.md, "Training
data"); training/configs/default.yaml spells them out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Backend = Literal["unsloth", "hf"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Section):
    name: str = "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"
    # A GGUF inside `name` (a folder) that transformers dequantizes, e.g. the SmolLM2 demo model.
    gguf_file: str | None = None
    # A folder with the tokenizer to use instead of the model's: for a GGUF base where the installed
    # transformers rebuilds the tokenizer wrongly (5.17 turns SmolLM2's byte-level BPE into a
    # SentencePiece-style one; 5.23 does not). Save it once with a good version and point here.
    tokenizer: str | None = None
    max_seq_length: int = Field(default=4096, gt=0)
    load_in_4bit: bool = True


class LoraSettings(_Section):
    r: int = Field(default=32, gt=0)
    alpha: int = Field(default=32, gt=0)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    use_rslora: bool = True
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        min_length=1,
    )


class TrainingSettings(_Section):
    per_device_train_batch_size: int = Field(default=2, gt=0)
    gradient_accumulation_steps: int = Field(default=4, gt=0)
    warmup_steps: int = Field(default=10, ge=0)
    max_steps: int = Field(default=150, gt=0)
    learning_rate: float = Field(default=1.5e-4, gt=0)
    optim: str = "adamw_8bit"
    weight_decay: float = Field(default=0.05, ge=0)
    lr_scheduler_type: str = "cosine"
    seed: int = 1234
    logging_steps: int = Field(default=1, gt=0)
    # Mixed precision is chosen from the hardware when left null: bf16 where supported, else fp16 on
    # CUDA (a T4: autocast + loss scaler, Unsloth's recipe), fp32 on CPU. false forces fp16 on CUDA.
    bf16: bool | None = None


class TrainConfig(_Section):
    backend: Backend = "unsloth"
    model: ModelConfig = Field(default_factory=ModelConfig)
    lora: LoraSettings = Field(default_factory=LoraSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    data: Path = Path("training/data/train.jsonl")
    # var/ is git-ignored: runs (adapters, merged models, GGUFs) never end up in the tree.
    output_dir: Path = Path("var/training/run")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says where and what to fix."""


def load_config(path: Path) -> TrainConfig:
    """Read and validate a YAML config; every problem is reported at once."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"config file {path} is invalid: {problems}") from exc


def dump_config(config: TrainConfig) -> str:
    """The resolved config as YAML (saved with every run, so it can be replayed)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
