"""`aimed-train rescore`: an eval report's stored answers re-judged with the current gate."""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aimed_training.dataset import load_rows
from aimed_training.evaluation import CardOutcome
from tests.support.llama import REPO
from tests.training.conftest import HELDOUT


def _outcome(row: int, kind: str, mode: str, output: str | None, **scored: Any) -> dict[str, Any]:
    base = CardOutcome(row, "tema", kind, mode, False, False, [], ["schema_invalid"], 10, 5.0, 100.0)
    return asdict(base) | {"output": output} | scored


def _report(tmp_path: Path) -> Path:
    rows = load_rows(HELDOUT)[:2]
    gold = rows[0]["casos_generados"]
    invented = copy.deepcopy(gold)
    invented["summary"] += " Se trata con colchicina 40 mg."
    report = {
        "model": "some.gguf",
        "data": str(HELDOUT),
        "rows": 2,
        "seed": 1234,
        "parallel": 1,
        "generator": "test",
        "summary": {},
        "cards": [
            # Scored as failing by an older gate; the gold card passes today's.
            _outcome(1, gold["kind"], "json_schema", json.dumps(gold, ensure_ascii=False)),
            _outcome(1, gold["kind"], "no_schema", json.dumps(invented, ensure_ascii=False)),
            _outcome(2, "drill_mcq", "json_schema", "{ cortado a medias"),
            # Written before outputs were kept: its old verdict stays, and is counted.
            _outcome(2, "drill_mcq", "no_schema", None, schema_valid=True, grounded=True, issue_codes=[]),
        ],
        "gate": {"min_grounded": 0.8, "grounded_rate": 0.0, "passed": False},
    }
    path = tmp_path / "eval-before.json"
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return path


def test_rescore_rejudges_stored_outputs_and_writes_beside_the_report(tmp_path: Path) -> None:
    path = _report(tmp_path)
    result = subprocess.run(
        [str(REPO / ".venv/bin/aimed-train"), "rescore", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "re-judged 3 card(s); 1 had no stored output" in result.stdout
    rescored = json.loads((tmp_path / "eval-before-gate2.json").read_text(encoding="utf-8"))
    markdown = (tmp_path / "eval-before-gate2.md").read_text(encoding="utf-8")
    assert "1 without a stored output kept as scored then" in markdown
    gold, invented, cut, old = rescored["cards"]
    assert gold["schema_valid"] and gold["grounded"] and gold["issue_codes"] == []
    assert invented["schema_valid"] and not invented["grounded"]
    assert (
        "unsupported_term" in invented["issue_codes"] and "number_not_in_context" in invented["issue_codes"]
    )
    assert not cut["schema_valid"] and cut["issue_codes"] == ["schema_invalid"]
    assert old["grounded"] and old["output"] is None
    assert rescored["summary"]["json_schema"]["grounded_rate"] == 0.5
    assert rescored["summary"]["no_schema"]["grounded_rate"] == 0.5
    assert rescored["rescore"]["rescored"] == 3 and rescored["rescore"]["not_rescored"] == 1
    assert "gate" not in rescored  # the old promotion verdict is not carried over
    # The report itself is left as it was.
    assert json.loads(path.read_text(encoding="utf-8"))["cards"][0]["grounded"] is False
