"""Fixtures of the training tests: the real SmolLM2 tokenizer and the committed gold rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimed_training.config import ModelConfig
from aimed_training.dataset import load_rows
from tests.support.llama import REPO, demo_model

FIXTURES = Path(__file__).parent / "fixtures"
TRAIN = REPO / "training/data/train.jsonl"
HELDOUT = REPO / "training/data/heldout.jsonl"


@pytest.fixture(scope="session")
def demo_model_config() -> ModelConfig:
    """SmolLM2-135M-Instruct, dequantized by transformers from the demo GGUF."""
    gguf = demo_model()
    return ModelConfig(name=str(gguf.parent), gguf_file=gguf.name, load_in_4bit=False)


@pytest.fixture(scope="session")
def smollm2_tokenizer(demo_model_config: ModelConfig) -> Any:
    from aimed_training.backends.hf_backend import load_base_tokenizer

    return load_base_tokenizer(demo_model_config)


@pytest.fixture(scope="session")
def train_rows() -> list[dict[str, Any]]:
    return load_rows(TRAIN)


def one_of_each_kind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first battlecard, MCQ and open drill of `rows`."""
    picked: dict[str, dict[str, Any]] = {}
    for row in rows:
        picked.setdefault(row["casos_generados"]["kind"], row)
    return [picked[kind] for kind in ("battlecard", "drill_mcq", "drill_open")]
