"""`aimed-train split`: training/data/gold/*.jsonl → train.jsonl + heldout.jsonl, deterministically.

Files are read in name order and rows kept in file order; each row goes to the file
its `split` names. The output is a pure function of the gold files, so a test can
assert that the committed train/heldout files are current (`--check`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
