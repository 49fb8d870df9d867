"""The whole job on CPU with real parts: SmolLM2-135M from the demo GGUF → train (hf) → merged GGUF q4_k_m
→ llama-server → a card through the generator → the eval report."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from aimed_cardgen import Policy
from aimed_contracts.cards import parse_card
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from aimed_generator.models import CardRequest, ContextIn
from aimed_training.cli import main
from aimed_training.config import ModelConfig
from aimed_training.dataset import load_rows, task_for_row
from tests.support.llama import LlamaServer
from tests.training.conftest import HELDOUT, TRAIN

pytestmark = [pytest.mark.llama, pytest.mark.slow]


def _shortest_rows(path: Path, count: int) -> list[dict[str, Any]]:
    rows = load_rows(path)
    return sorted(rows, key=lambda r: len(r["contexto_mcp"]) + len(json.dumps(r["casos_generados"])))[:count]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _check_rslora_merge(run: Path, merged_dir: Path, model_config: ModelConfig) -> None:
    """merged weight == base + (alpha / sqrt(r)) · B·A: the rsLoRA scale, not LoRA's alpha / r."""
    import torch
    from safetensors.torch import load_file

    from aimed_training.backends.hf_backend import load_base

    adapter = load_file(str(run / "adapter/adapter_model.safetensors"))
    settings = json.loads((run / "adapter/adapter_config.json").read_text())
    assert settings["use_rslora"] is True and settings["r"] == 32 and settings["lora_alpha"] == 32
    module = "model.layers.0.self_attn.q_proj"
    a = next(v for k, v in adapter.items() if k.endswith(f"{module}.lora_A.weight")).float()
    b = next(v for k, v in adapter.items() if k.endswith(f"{module}.lora_B.weight")).float()
    delta = b @ a
    assert delta.abs().max() > 0, "two optimizer steps moved the adapter"
    base, _ = load_base(model_config, dtype=torch.float32)
    base_weight = base.get_parameter(f"{module}.weight").detach()
    merged = load_file(str(next(merged_dir.glob("*.safetensors"))))
    merged_weight = merged[f"{module}.weight"].float()
    rs_scale = settings["lora_alpha"] / math.sqrt(settings["r"])
    assert torch.allclose(merged_weight - base_weight, rs_scale * delta, atol=1e-5)
    assert not torch.allclose(merged_weight - base_weight, 1.0 * delta, atol=1e-7)


def test_train_export_serve_generate_eval(tmp_path: Path, demo_model_config: ModelConfig) -> None:
    # 2 shared CPU cores: a card may take minutes under load; the generator's 120 s would be flaky,
    # so the generator and the eval below wait 900 s for an answer.
    data = _write_jsonl(tmp_path / "train.jsonl", _shortest_rows(TRAIN, 2))
    config = yaml.safe_load((Path(__file__).parents[2] / "training/configs/smollm2-cpu.yaml").read_text())
    config["model"].update(name=demo_model_config.name, gguf_file=demo_model_config.gguf_file)
    config_path = tmp_path / "smollm2.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    run = tmp_path / "run"

    assert (
        main(
            [
                "train",
                "--config",
                str(config_path),
                "--data",
                str(data),
                "--output",
                str(run),
                "--max-steps",
                "2",
            ]
        )
        == 0
    )

    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["rows"] == 2 and summary["backend"] == "hf"
    assert math.isfinite(summary["first_loss"]) and math.isfinite(summary["final_loss"])
    assert (run / "loss.csv").read_text().splitlines()[0] == "step,loss"
    assert len((run / "loss.csv").read_text().splitlines()) == 3
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run / "data.sha256").read_text().split()[0] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert yaml.safe_load((run / "config.yaml").read_text())["training"]["max_steps"] == 2

    export_dir = tmp_path / "export"
    assert main(["export", "--run", str(run), "--out", str(export_dir)]) == 0
    gguf_path = export_dir / "model-q4_k_m.gguf"
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    file_type = reader.get_field("general.file_type")
    assert (
        file_type is not None and int(file_type.parts[file_type.data[0]][0]) == 15
    )  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    record = json.loads((export_dir / "export.json").read_text())
    assert record["gguf_bytes"] == gguf_path.stat().st_size
    # Per stage: seconds, bytes written and the peak RSS of the process that did it (docs/benchmarks.md).
    assert [stage["stage"] for stage in record["stages"]] == ["merge", "gguf_f16", "q4_k_m"]
    assert record["stages"][1]["bytes_written"] == (export_dir / "model-f16.gguf").stat().st_size
    assert record["stages"][2]["bytes_written"] == gguf_path.stat().st_size
    assert all(stage["peak_rss_bytes"] > 2**20 for stage in record["stages"])
    _check_rslora_merge(run, export_dir / "merged", demo_model_config)

    row = load_rows(HELDOUT)[0]
    # llama-server serves the exported GGUF and the generator gets a schema-valid card from
    # it. A few seeds: two steps from the demo model, it still sometimes writes past max_tokens.
    task = task_for_row(row)
    request = CardRequest(
        task=task.task,
        topic=task.topic,
        contexts=[ContextIn(text=c.text, label=c.label) for c in task.contexts],
        level=task.level,
        angle=task.angle,
        seed=1234,
        max_tokens=1536,
        policy=Policy.flag,
        max_attempts=4,
    )
    with LlamaServer(gguf_path, ctx_size=8192, parallel=2) as llama:
        settings = Settings(
            llm_base_url=llama.url, max_attempts=4, request_timeout_s=900, log_level="WARNING"
        )
        with TestClient(create_app(settings)) as generator:
            response = generator.post("/v1/cards", json=request.model_dump(mode="json"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert parse_card(body["card"]).kind == task.card_kind
    assert "model-q4_k_m" in body["model_id"]

    heldout = _write_jsonl(tmp_path / "heldout.jsonl", [row])
    report_dir = tmp_path / "eval"
    code = main(
        ["eval", "--model", str(gguf_path), "--data", str(heldout), "--out", str(report_dir),
         "--max-tokens", "1024", "--min-grounded", "0.5", "--request-timeout-s", "900"]
    )  # fmt: skip

    report = json.loads((report_dir / "eval.json").read_text())
    with_schema = report["summary"]["json_schema"]
    assert with_schema["cards"] == 1 and report["summary"]["no_schema"]["cards"] == 1
    # One attempt per card, as the eval measures: the rates are what that one answer was.
    outcomes = {card["mode"]: card for card in report["cards"]}
    assert set(outcomes) == {"json_schema", "no_schema"}
    assert with_schema["schema_valid_rate"] == float(outcomes["json_schema"]["schema_valid"])
    assert with_schema["grounded_rate"] == float(outcomes["json_schema"]["grounded"])
    # The server generated from the exported model in both modes, refused card or not.
    assert all(card["completion_tokens"] > 0 for card in outcomes.values()), report["cards"]
    assert report["gate"]["passed"] == (with_schema["grounded_rate"] >= 0.5)
    assert code == (0 if report["gate"]["passed"] else 1)
    markdown = (report_dir / "eval.md").read_text()
    assert f"| json_schema | 1 | {100 * with_schema['schema_valid_rate']:.1f}% |" in markdown
    assert "Promotion gate" in markdown
