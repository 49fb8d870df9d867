"""The learner's own dataset: validate (every bad line), hold out whole topics, train, eval and pack a run."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from aimed_training import cli
from aimed_training.split import SplitError, heldout_split
from tests.training.conftest import HELDOUT, TRAIN

REPO = Path(__file__).parents[2]
COLUMNS = ("tema", "contexto_mcp", "casos_generados")


def _learner_rows() -> list[dict[str, Any]]:
    """The gold rows as a learner's plan has them: the three columns, no split."""
    rows = []
    for path in (TRAIN, HELDOUT):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append({k: row[k] for k in COLUMNS})
    return rows


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_whole_topics_are_held_out_deterministically() -> None:
    rows = _learner_rows()
    split = heldout_split(rows, 0.2, seed=1234)
    assert split.by == "tema" and split.heldout_topics
    train_topics = {r["tema"] for r in split.train}
    assert not train_topics & {r["tema"] for r in split.heldout}  # the eval asks about unseen topics
    assert len(split.train) + len(split.heldout) == len(rows)
    assert 0.2 * len(rows) <= len(split.heldout) < 0.5 * len(rows)
    assert {r["split"] for r in split.train} == {"train"}
    assert {r["split"] for r in split.heldout} == {"heldout"}
    assert heldout_split(rows, 0.2, seed=1234) == split


def test_a_single_topic_is_split_by_rows() -> None:
    rows = [r for r in _learner_rows() if r["tema"] == _learner_rows()[0]["tema"]]
    split = heldout_split(rows, 0.5, seed=1)
    assert split.by == "row" and split.train and split.heldout
    assert len(split.train) + len(split.heldout) == len(rows)


@pytest.mark.parametrize(
    ("count", "fraction", "message"), [(1, 0.2, "cannot be split"), (5, 1.0, "between 0")]
)
def test_unusable_splits_are_refused(count: int, fraction: float, message: str) -> None:
    with pytest.raises(SplitError, match=message):
        heldout_split(_learner_rows()[:count], fraction, seed=1)


def test_train_refuses_a_learner_file_naming_every_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [json.dumps(r, ensure_ascii=False) for r in _learner_rows()[:4]]
    no_card = json.dumps({"tema": "Sepsis", "contexto_mcp": "Texto de la guía."}, ensure_ascii=False)
    bad_card = json.dumps({**_learner_rows()[0], "casos_generados": {"kind": "battlecard"}})
    lines = [good[0], "{not json", good[1], no_card, good[2], bad_card, good[3]]
    data = _write(tmp_path / "mine.jsonl", lines)
    run = tmp_path / "run"
    code = cli.main(
        ["train", "--config", str(REPO / "training/configs/smollm2-cpu.yaml"), "--data", str(data),
         "--heldout-fraction", "0.25", "--output", str(run)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_DATA
    assert f"{data}:2: bad_json" in err and f"{data}:4: missing_field casos_generados" in err
    assert f"{data}:6: card_schema" in err and "bad lines: 2, 4, 6" in err
    assert not (run / "data").exists()  # nothing split, nothing trained


def test_train_splits_the_learner_file_and_trains_on_the_train_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _write(tmp_path / "mine.jsonl", [json.dumps(r, ensure_ascii=False) for r in _learner_rows()])
    trained: dict[str, Any] = {}

    def fake_train(config: Any, progress: Any) -> Any:  # no model: this test is about the data
        trained["data"] = config.data
        run = Path(config.output_dir)
        (run / "summary.json").write_text("{}", encoding="utf-8")
        return SimpleNamespace(output_dir=run)

    monkeypatch.setattr("aimed_training.train.train", fake_train)
    run = tmp_path / "run"
    code = cli.main(
        ["train", "--config", str(REPO / "training/configs/smollm2-cpu.yaml"), "--data", str(data),
         "--heldout-fraction", "0.2", "--output", str(run)]
    )  # fmt: skip
    assert code == 0 and trained["data"] == run / "data/train.jsonl"
    record = json.loads((run / "data/split.json").read_text())
    train_rows = (run / "data/train.jsonl").read_text().splitlines()
    heldout_rows = (run / "data/heldout.jsonl").read_text().splitlines()
    assert record["rows"] == {"train": len(train_rows), "heldout": len(heldout_rows)}
    assert len(train_rows) + len(heldout_rows) == len(_learner_rows())
    assert record["held_out_by"] == "tema" and record["source"] == str(data)
    assert {json.loads(r)["tema"] for r in heldout_rows} == set(record["heldout_topics"])


def _run_folder(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    for name, text in {
        "summary.json": "{}", "config.yaml": "backend: hf\n", "data.sha256": "x  y\n",
        "data/split.json": "{}", "data/heldout.jsonl": "{}\n", "eval/eval.md": "# Eval\n",
        "export/export.json": '{"gguf": "model-q4_k_m.gguf"}', "export/model-q4_k_m.gguf": "GGUF",
    }.items():  # fmt: skip
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text(text, encoding="utf-8")
    return run


def test_eval_with_a_run_uses_its_gguf_its_heldout_part_and_writes_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run_folder(tmp_path)
    seen: dict[str, Any] = {}

    def fake_evaluate(model: Path, data: Path, out: Path, **_: Any) -> dict[str, Any]:
        seen.update(model=model, data=data, out=out)
        return {"gate": None}

    monkeypatch.setattr("aimed_training.evaluation.evaluate", fake_evaluate)
    monkeypatch.setattr("aimed_training.evaluation.render_markdown_report", lambda report: "")
    assert cli.main(["eval", "--run", str(run)]) == 0
    assert seen == {"model": run / "export/model-q4_k_m.gguf", "data": run / "data/heldout.jsonl",
                    "out": run / "eval"}  # fmt: skip


def test_eval_needs_a_model_or_an_exported_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval"]) == cli.EXIT_USAGE
    assert "--model" in capsys.readouterr().err
    (tmp_path / "run").mkdir()
    assert cli.main(["eval", "--run", str(tmp_path / "run")]) == cli.EXIT_USAGE
    assert "aimed-train export --run" in capsys.readouterr().err


def test_pack_copies_the_gguf_and_the_run_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _run_folder(tmp_path)
    drive = tmp_path / "drive"
    assert cli.main(["pack", "--run", str(run), "--to", str(drive)]) == 0
    assert sorted(p.name for p in drive.iterdir()) == [
        "config.yaml", "data-split.json", "data.sha256", "eval-eval.md", "export.json",
        "model-q4_k_m.gguf", "summary.json",
    ]  # fmt: skip
    assert json.loads(capsys.readouterr().out)["to"] == str(drive)
    (run / "export/model-q4_k_m.gguf").unlink()
    assert cli.main(["pack", "--run", str(run), "--to", str(drive)]) == cli.EXIT_USAGE
