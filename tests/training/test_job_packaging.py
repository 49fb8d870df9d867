"""The GPU job's packaging: the seed config, the Dockerfile and the Colab notebook run the same CLI."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import nbformat
import pytest

from aimed_training.cli import build_parser, main
from aimed_training.config import TrainConfig, load_config
from tests.support.llama import REPO

TRAINING = REPO / "training"


def test_default_config_is_the_seed_hyper_parameters() -> None:
    config = load_config(TRAINING / "configs/default.yaml")
    assert config == TrainConfig(data=config.data, output_dir=config.output_dir)
    assert config.backend == "unsloth"
    assert config.model.name == "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"
    assert (config.model.max_seq_length, config.model.load_in_4bit) == (4096, True)
    assert (config.lora.r, config.lora.alpha, config.lora.dropout, config.lora.use_rslora) == (
        32,
        32,
        0.0,
        True,
    )
    assert config.lora.target_modules == [
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    ]
    t = config.training
    assert (t.per_device_train_batch_size, t.gradient_accumulation_steps, t.warmup_steps, t.max_steps) == (
        2,
        4,
        10,
        150,
    )
    assert (t.learning_rate, t.optim, t.weight_decay, t.lr_scheduler_type, t.seed) == (
        1.5e-4, "adamw_8bit", 0.05, "cosine", 1234,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["default.yaml", "smollm2-cpu.yaml", "smollm2-gpu.yaml"])
def test_every_shipped_config_loads(name: str) -> None:
    load_config(TRAINING / "configs" / name)


def test_a_bad_config_is_refused_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: tpu\nlora: {r: 0}\ntraining: {learning_rate: -1}\n", encoding="utf-8")
    assert main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "backend" in err and "lora.r" in err and "training.learning_rate" in err and str(bad) in err


def _cli_invocations(text: str) -> list[list[str]]:
    """The argument lists of every `!aimed-train ...` line except `--help`."""
    lines = [line.split("aimed-train", 1)[1] for line in text.splitlines() if "aimed-train " in line]
    return [args for args in map(shlex.split, lines) if args != ["--help"]]


def test_the_notebook_is_valid_and_runs_the_same_cli() -> None:
    notebook = nbformat.read(TRAINING / "notebooks/aimed_training_colab.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    # Colab expands {NAME} in `!` lines from the notebook's variables: replay its upper-case assignments.
    parameters: dict[str, object] = {}
    exec("\n".join(re.findall(r"^[A-Z_]+ = .*$", code, re.M)), parameters)
    calls = [[arg.format(**parameters) for arg in args] for args in _cli_invocations(code)]
    assert {"validate", "train", "export", "eval"} <= {args[0] for args in calls}
    for args in calls:
        build_parser().parse_args(args)  # every notebook call is a valid CLI call (exits 2 otherwise)
    assert '"./training[unsloth]"' in code and "drive.mount" in code and "model-q4_k_m.gguf" in code


def test_the_dockerfile_uses_a_cuda_base_the_pinned_stack_and_the_cli_entrypoint() -> None:
    dockerfile = (TRAINING / "Dockerfile").read_text()
    assert re.search(r"^FROM nvidia/cuda:\S+$", dockerfile, re.M)
    assert 'ENTRYPOINT ["aimed-train"]' in dockerfile
    assert 'VOLUME ["/data", "/output"]' in dockerfile
    assert '"/src/training[unsloth]"' in dockerfile
    extras = tomllib.loads((TRAINING / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in ("hf", "unsloth"):
        unpinned = [dep for dep in extras[extra] if "==" not in dep]
        assert unpinned == [], f"extra {extra} has unpinned dependencies: {unpinned}"
    assert "unsloth==2026.10.9" in extras["unsloth"]
