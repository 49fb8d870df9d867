"""A learner's own dataset (JSONL with `tema`, `contexto_mcp`, `casos_generados`) made ready to train.

`aimed-train train --data THEIR.jsonl --heldout-fraction 0.2 --output RUN`: the file is
validated first (every bad row reported by line, nothing trained if any row is bad), then
split into RUN/data/train.jsonl and RUN/data/heldout.jsonl (whole topics held out), with
RUN/data/split.json saying what was held out and from which file (sha256).
`aimed-train eval --run RUN` then evaluates on that held-out part.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from aimed_training.dataset import data_hash, load_rows
from aimed_training.split import heldout_split, write_jsonl
from aimed_training.validation import format_report, validate_file


class LearnerDataError(ValueError):
    """The learner's file has bad rows; the message is the per-line report."""


def prepare(
    data: Path, fraction: float, seed: int, run_dir: Path, progress: Callable[[str], None]
) -> tuple[Path, Path]:
    """Validate and split `data` into run_dir/data/; returns (train file, held-out file)."""
    progress(f"validating {data} (card schema and grounding gate, every row)")
    report = validate_file(data, progress=progress)
    if not report.ok:
        raise LearnerDataError(
            f"{data} cannot be trained on; fix these rows and run again:\n{format_report(report)}"
        )
    split = heldout_split(load_rows(data), fraction, seed)
    folder = run_dir / "data"
    train_file, heldout_file = folder / "train.jsonl", folder / "heldout.jsonl"
    write_jsonl(train_file, split.train)
    write_jsonl(heldout_file, split.heldout)
    record = {
        "source": str(data),
        "source_sha256": data_hash(data),
        "heldout_fraction": fraction,
        "seed": seed,
        "held_out_by": split.by,
        "heldout_topics": split.heldout_topics,
        "rows": {"train": len(split.train), "heldout": len(split.heldout)},
    }
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    (folder / "split.json").write_text(text, encoding="utf-8")
    progress(
        f"{len(split.train)} rows to train on, {len(split.heldout)} held out "
        f"(by {split.by}{': ' + ', '.join(split.heldout_topics) if split.heldout_topics else ''})"
    )
    return train_file, heldout_file
