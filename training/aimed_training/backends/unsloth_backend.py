"""Unsloth: the GPU job (fused kernels, 4-bit base, its gradient checkpointing). Needs CUDA.

Unsloth patches transformers/trl when it is imported, so this module imports it before
anything else of that stack is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimed_training.config import TrainConfig


def _model_source(config: TrainConfig) -> str:
    """Unsloth loads HF folders/names only: a GGUF base is dequantized once into a folder beside the run."""
    if not config.model.gguf_file:
        return config.model.name
    from aimed_training.backends.hf_backend import load_base

    folder = Path(config.output_dir) / "base-hf"
    if not (folder / "config.json").is_file():
        model_config = config.model.model_copy(update={"load_in_4bit": False})
        model, tokenizer = load_base(model_config)
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    return str(folder)


def load(config: TrainConfig) -> tuple[Any, Any]:
    import torch
    import unsloth  # noqa: F401  (must precede transformers/trl/peft: it patches them on import)
    from unsloth import FastLanguageModel

    from aimed_training.loop import Hardware, choose_precision

    source = _model_source(config)
    # The weights' dtype follows the trainer's mixed precision (float16 on a T4), as in Unsloth's recipe.
    precision = choose_precision(config, Hardware.detect())
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=source,
        max_seq_length=config.model.max_seq_length,
        dtype=torch.bfloat16 if precision.bf16 else torch.float16,
        load_in_4bit=config.model.load_in_4bit,
    )
    model = FastLanguageModel.get_peft_model(
        model,
        r=config.lora.r,
        target_modules=list(config.lora.target_modules),
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        bias="none",
        use_gradient_checkpointing="unsloth",
        random_state=config.training.seed,
        use_rslora=config.lora.use_rslora,
    )
    if config.model.tokenizer and not config.model.gguf_file:
        from aimed_training.backends.hf_backend import load_base_tokenizer

        tokenizer = load_base_tokenizer(config.model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
