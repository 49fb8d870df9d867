"""The GPU job's packaging: the seed config, the Dockerfile and the Colab notebook run the same CLI."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

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


def _notebook() -> tuple[Any, dict[str, Any], ast.Module]:
    notebook = nbformat.read(TRAINING / "notebooks/aimed_training_colab.ipynb", as_version=4)
    nbformat.validate(notebook)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged `parameters` (papermill injects its values after it)"
    parameters: dict[str, Any] = {}
    exec(tagged[0].source, parameters)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return notebook, parameters, ast.parse(code)


def _guarded_by_local_run(tree: ast.Module, node: ast.AST) -> bool:
    """True if `node` sits inside an `if not LOCAL_RUN:` block."""
    for candidate in ast.walk(tree):
        if (
            isinstance(candidate, ast.If)
            and ast.unparse(candidate.test) == "not LOCAL_RUN"
            and any(node is inner for stmt in candidate.body for inner in ast.walk(stmt))
        ):
            return True
    return False


def test_the_notebook_takes_the_learners_file_and_runs_headless_through_a_parameter() -> None:
    _, parameters, tree = _notebook()
    assert parameters["LOCAL_RUN"] is False and parameters["DATA"] == ""  # Colab: upload when empty
    assert 0 < parameters["HELDOUT_FRACTION"] < 1
    assert {"REPO_DIR", "CONFIG", "DRIVE_DIR", "RUN_DIR", "MAX_STEPS", "EVAL_LIMIT"} <= set(parameters)
    colab_only = [
        node
        for node in ast.walk(tree)
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("google.colab"))
        or (isinstance(node, ast.Call) and ast.unparse(node.func) == "sh" and "pip" in ast.unparse(node))
        or (isinstance(node, ast.Call) and ast.unparse(node).startswith("sh('git'"))
    ]
    assert len(colab_only) >= 4  # drive, files, git clone, pip install
    for node in colab_only:
        assert _guarded_by_local_run(tree, node), f"runs outside Colab: {ast.unparse(node)}"


def test_the_notebook_runs_the_same_cli_on_the_learners_file() -> None:
    _, parameters, tree = _notebook()
    parameters.update(DATA="mine.jsonl")
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "aimed_train":
            args = [
                str(arg.value) if isinstance(arg, ast.Constant) else str(parameters[arg.id])
                for arg in node.args
                if isinstance(arg, ast.Constant | ast.Name)  # *steps, *limit: optional flags
            ]
            calls.append(args)
    calls = [args for args in calls if args != ["--help"]]
    assert [args[0] for args in calls] == ["validate", "train", "export", "eval", "pack"]
    for args in calls:
        build_parser().parse_args(args)  # every notebook call is a valid CLI call (exits 2 otherwise)
    train = calls[1]
    assert train[train.index("--data") + 1] == "mine.jsonl" and "--heldout-fraction" in train
    assert calls[3][:3] == ["eval", "--run", parameters["RUN_DIR"]]  # evaluated on the held-out part
    assert calls[4] == ["pack", "--run", parameters["RUN_DIR"], "--to", parameters["DRIVE_DIR"]]


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
