"""Train/held-out splits: the repository's gold files (`aimed-train split`) and a learner's own file.

`aimed-train split`: training/data/gold/*.jsonl → train.jsonl + heldout.jsonl, deterministically.

Files are read in name order and rows kept in file order; each row goes to the file
its `split` names. The output is a pure function of the gold files, so a test can
assert that the committed train/heldout files are current (`--check`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimed_training.dataset import read_jsonl
from aimed_training.validation import SPLITS


class SplitError(ValueError):
    """A gold row without a usable `split`, or an unreadable line; the message names them."""


@dataclass(frozen=True)
class SplitResult:
    texts: dict[str, str]
    counts: dict[str, int]


def build_split(gold_dir: Path) -> SplitResult:
    files = sorted(gold_dir.glob("*.jsonl"))
    if not files:
        raise SplitError(f"{gold_dir} holds no *.jsonl gold files")
    buckets: dict[str, list[str]] = {name: [] for name in SPLITS}
    problems = []
    for path in files:
        for line in read_jsonl(path):
            if line.row is None:
                problems.append(f"{path}:{line.line_no}: {line.error}")
                continue
            split = line.row.get("split")
            if split not in buckets:
                problems.append(f"{path}:{line.line_no}: split must be train or heldout, got {split!r}")
                continue
            buckets[split].append(json.dumps(line.row, ensure_ascii=False))
    if problems:
        raise SplitError("; ".join(problems))
    texts = {name: "".join(f"{row}\n" for row in rows) for name, rows in buckets.items()}
    return SplitResult(texts=texts, counts={name: len(rows) for name, rows in buckets.items()})


def write_split(gold_dir: Path, out_dir: Path, *, check: bool) -> tuple[SplitResult, list[Path]]:
    """Write (or, with `check`, compare) out_dir/train.jsonl and heldout.jsonl; returns the stale files."""
    result = build_split(gold_dir)
    stale = []
    for name, text in result.texts.items():
        target = out_dir / f"{name}.jsonl"
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            stale.append(target)
            if not check:
                target.write_text(text, encoding="utf-8")
    return result, stale


@dataclass(frozen=True)
class HeldOutSplit:
    train: list[dict[str, Any]]
    heldout: list[dict[str, Any]]
    by: str
    heldout_topics: list[str]


def heldout_split(rows: list[dict[str, Any]], fraction: float, seed: int) -> HeldOutSplit:
    """A learner's rows → train + held-out, about `fraction` held out, deterministically.

    Whole topics (`tema`) are held out, so the evaluation asks about topics the model has
    not been trained on; with a single topic, rows are held out instead. Topics are drawn
    in a seeded order until the held-out part reaches the fraction; both parts keep rows.
    """
    if not 0.0 < fraction < 1.0:
        raise SplitError(f"the held-out fraction must be between 0 and 1 (exclusive), got {fraction}")
    if len(rows) < 2:
        raise SplitError(f"{len(rows)} row(s) cannot be split into train and held-out: add rows")
    target = max(1, round(len(rows) * fraction))
    topics = sorted({str(row["tema"]) for row in rows})
    rng = random.Random(seed)
    if len(topics) >= 2:
        rng.shuffle(topics)
        chosen: list[str] = []
        count = 0
        for topic in topics[:-1]:  # the last topic always stays in train
            if count >= target:
                break
            chosen.append(topic)
            count += sum(1 for row in rows if row["tema"] == topic)
        held = set(chosen)
        train = [{**row, "split": "train"} for row in rows if row["tema"] not in held]
        heldout = [{**row, "split": "heldout"} for row in rows if row["tema"] in held]
        return HeldOutSplit(train, heldout, "tema", sorted(held))
    order = list(range(len(rows)))
    rng.shuffle(order)
    held_rows = set(order[: min(target, len(rows) - 1)])
    train = [{**row, "split": "train"} for i, row in enumerate(rows) if i not in held_rows]
    heldout = [{**row, "split": "heldout"} for i, row in enumerate(rows) if i in held_rows]
    return HeldOutSplit(train, heldout, "row", [])


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
