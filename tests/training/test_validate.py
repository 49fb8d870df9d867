"""`aimed-train validate` and `split` on the gold dataset and on planted bad rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from aimed_training.cli import main
from aimed_training.dataset import load_rows
from aimed_training.formatting import encode_row
from aimed_training.split import write_split
from aimed_training.validation import validate_file
from tests.support.llama import REPO
from tests.training.conftest import FIXTURES, HELDOUT, TRAIN

GOLD = REPO / "training/data/gold"


def test_every_gold_file_passes_validation() -> None:
    files = sorted(GOLD.glob("*.jsonl"))
    assert len(files) >= 6, "the gold dataset covers at least 6 modules"
    for path in files:
        report = validate_file(path)
        assert report.ok, f"{path}: {[p.as_dict() for p in report.problems][:5]}"


def test_train_and_heldout_pass_validation_with_token_lengths(smollm2_tokenizer: Any) -> None:
    for path in (TRAIN, HELDOUT):
        report = validate_file(
            path, count_tokens=lambda row: encode_row(smollm2_tokenizer, row).n_tokens, max_seq_length=4096
        )
        assert report.ok, [p.as_dict() for p in report.problems][:5]
        assert len(report.token_lengths) == report.rows > 0


def test_train_and_heldout_files_are_current_with_the_gold_files(tmp_path: Path) -> None:
    result, stale = write_split(GOLD, TRAIN.parent, check=True)
    assert stale == [], "run `aimed-train split` after editing training/data/gold"
    assert result.counts["train"] > 0 and result.counts["heldout"] > 0
    heldout_topics = {row["tema"] for row in load_rows(HELDOUT)}
    assert heldout_topics.isdisjoint({row["tema"] for row in load_rows(TRAIN)}), "held-out topics are unseen"


def _planted_file(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    battlecard, mcq, open_drill = load_rows(FIXTURES / "gold_sample.jsonl")
    missing_tema = {k: v for k, v in mcq.items() if k != "tema"}
    bad_schema = copy.deepcopy(mcq)
    bad_schema["casos_generados"]["answer_index"] = 7
    ungrounded = copy.deepcopy(battlecard)
    ungrounded["casos_generados"]["summary"] = "La hipoglucemia se trata con metformina 850 mg cada 8 horas."
    bad_split = copy.deepcopy(open_drill)
    bad_split["split"] = "test"
    long_row = copy.deepcopy(open_drill)
    long_row["contexto_mcp"] = " ".join([open_drill["contexto_mcp"]] * 4)
    lines = [
        json.dumps(battlecard, ensure_ascii=False),
        '{"tema": "cortada", ',
        json.dumps(missing_tema, ensure_ascii=False),
        json.dumps(bad_schema, ensure_ascii=False),
        json.dumps(ungrounded, ensure_ascii=False),
        json.dumps(battlecard, ensure_ascii=False),
        json.dumps(bad_split, ensure_ascii=False),
        json.dumps(long_row, ensure_ascii=False),
    ]
    path = tmp_path / "planted.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = {
        2: "bad_json",
        3: "missing_field",
        4: "card_schema",
        5: "grounding:",
        6: "duplicate",
        7: "bad_split",
        8: "too_long",
    }
    return path, expected


def test_planted_bad_rows_are_each_reported_by_line(
    tmp_path: Path, smollm2_tokenizer: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = _planted_file(tmp_path)
    normal = [
        encode_row(smollm2_tokenizer, row).n_tokens for row in load_rows(FIXTURES / "gold_sample.jsonl")
    ]
    long_row = json.loads(path.read_text().splitlines()[7])
    longest_normal, long_one = max(normal), encode_row(smollm2_tokenizer, long_row).n_tokens
    assert long_one > longest_normal
    limit = (longest_normal + long_one) // 2

    code = main(
        [
            "validate",
            str(path),
            "--config",
            str(REPO / "training/configs/smollm2-cpu.yaml"),
            "--max-seq-length",
            str(limit),
            "--json",
            str(tmp_path / "report.json"),
        ]
    )
    out = capsys.readouterr().out

    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["bad_lines"] == sorted(expected)
    by_line: dict[int, list[str]] = {}
    for problem in report["problems"]:
        by_line.setdefault(problem["line"], []).append(problem["code"])
    for line_no, code_prefix in expected.items():
        assert any(c.startswith(code_prefix) for c in by_line[line_no]), (line_no, by_line[line_no])
        assert f"{path}:{line_no}: {code_prefix}" in out
    assert "missing required field 'tema'" in out
    assert "same context and card as line 1" in out
    assert {"grounding:number_not_in_context", "grounding:unsupported_term"} & set(by_line[5])
    assert f"bad lines: {', '.join(map(str, sorted(expected)))}" in out


def test_validate_reports_a_missing_file_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(tmp_path / "nope.jsonl")])
    assert code == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_an_empty_file_is_not_a_valid_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert main(["validate", str(empty)]) == 1
    assert "the file has no rows" in capsys.readouterr().out
