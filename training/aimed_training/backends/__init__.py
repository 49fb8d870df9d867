"""Model loaders: each returns (LoRA-wrapped model, tokenizer) for a `TrainConfig`.

`unsloth` is the GPU job (4-bit base, Unsloth's kernels); `hf` is plain
transformers + peft, on CPU or GPU. Both are imported lazily: the package must stay
importable where neither torch stack is installed (validate, eval, build-dataset).
"""

from __future__ import annotations

from typing import Any

from aimed_training.config import TrainConfig


def load_for_training(config: TrainConfig) -> tuple[Any, Any]:
    if config.backend == "unsloth":
        from aimed_training.backends import unsloth_backend

        return unsloth_backend.load(config)
    from aimed_training.backends import hf_backend

    return hf_backend.load(config)
