"""`aimed-train build-dataset` against a real teacher: llama-server on the demo model.

The demo model is weak, so the gate keeps few drafts or none; what is asserted is that every
decision is reported with its reason and that only drafts the gate accepts are written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aimed_training.cli import main
from aimed_training.dataset import load_rows
from aimed_training.validation import validate_file
from tests.support.llama import LlamaServer
from tests.training.conftest import HELDOUT

pytestmark = [pytest.mark.llama, pytest.mark.slow]


def test_build_dataset_reports_every_gate_decision(tmp_path: Path, llama_server: LlamaServer) -> None:
    row = load_rows(HELDOUT)[0]
    contexts = tmp_path / "contexts.jsonl"
    context_row = {k: row[k] for k in ("tema", "modulo", "prioridad", "fuente", "contexto_mcp")}
    contexts.write_text(json.dumps(context_row, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "drafts.jsonl"

    code = main(
        ["build-dataset", "--contexts", str(contexts), "--out", str(out), "--base-url", llama_server.url,
         "--backend", "llama_server", "--kinds", "battlecard", "drill_mcq", "--attempts", "1",
         "--request-timeout-s", "600"]
    )  # fmt: skip

    assert code == 0
    report = json.loads(out.with_suffix(".report.json").read_text())
    assert (report["contexts"], report["drafted"]) == (1, 2)
    assert [d["kind"] for d in report["decisions"]] == ["battlecard", "drill_mcq"]
    kept = [d for d in report["decisions"] if d["kept"]]
    for decision in report["decisions"]:
        if decision["kept"]:
            assert decision["reason"] == "grounded"
        else:
            # A refusal says why, with the gate's own issue codes when the card was parsed.
            assert decision["reason"] in {"ungrounded_output", "invalid_output", "gate"}
            assert decision["issues"], decision
            assert all(issue["code"] for issue in decision["issues"])
    written = load_rows(out) if out.read_text().strip() else []
    assert len(written) == len(kept) == report["kept"]
    if written:
        assert validate_file(out).ok
        assert all(r["contexto_mcp"] == row["contexto_mcp"] for r in written)


def test_build_dataset_refuses_contexts_without_a_topic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contexts = tmp_path / "contexts.jsonl"
    contexts.write_text('{"contexto_mcp": "Texto."}\n', encoding="utf-8")
    code = main(
        ["build-dataset", "--contexts", str(contexts), "--out", str(tmp_path / "o.jsonl"),
         "--base-url", "http://127.0.0.1:9"]
    )  # fmt: skip
    assert code == 1
    assert "rows [1] lack 'tema' or 'contexto_mcp'" in capsys.readouterr().err
