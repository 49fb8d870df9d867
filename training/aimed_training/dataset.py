"""Gold rows: reading the JSONL and turning a row into the generator's task and the chat turns.

A row has the seed's columns: `tema`, `contexto_mcp` (the guideline excerpt) and
`casos_generados` (the gold card as a JSON object), plus `modulo`, `prioridad`,
`split` and `fuente`. The task of a row is derived from its card, so the same row
gives the same `build_messages` input in training, in eval and in the generator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimed_contracts.cards import parse_card
from aimed_contracts.prompts import AngleSpec, ContextPassage, GenerationTask, build_messages

REQUIRED_FIELDS = ("tema", "contexto_mcp", "casos_generados")


@dataclass(frozen=True)
class JsonlLine:
    """One line of a JSONL file: its 1-based number and the parsed object, or why it did not parse."""

    line_no: int
    row: dict[str, Any] | None
    error: str | None = None


def read_jsonl(path: Path) -> Iterator[JsonlLine]:
    """Every non-blank line of `path`, parsed; a bad line is yielded with its error, never skipped."""
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield JsonlLine(line_no, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(value, dict):
                yield JsonlLine(line_no, None, f"expected a JSON object, got {type(value).__name__}")
                continue
            yield JsonlLine(line_no, value)


def load_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file; raises ValueError naming the first lines that are not objects."""
    lines = list(read_jsonl(path))
    bad = [f"line {line.line_no}: {line.error}" for line in lines if line.row is None]
    if bad:
        raise ValueError(f"{path}: {'; '.join(bad[:5])} (run `aimed-train validate {path}`)")
    return [line.row for line in lines if line.row is not None]


def task_for(row: Mapping[str, Any], kind: str, angle: str | None = None) -> GenerationTask:
    """The generation task for a row's topic and context, asking for a card of `kind`."""
    level = 2 if kind == "drill_open" else 1
    context = ContextPassage(text=row["contexto_mcp"], label=row.get("fuente") or None)
    if kind == "battlecard":
        return GenerationTask(task="battlecard", topic=row["tema"], contexts=[context], level=1)
    if angle:
        return GenerationTask(
            task="variant",
            topic=row["tema"],
            contexts=[context],
            level=level,
            angle=AngleSpec(perspective=angle),
        )
    return GenerationTask(task="drill", topic=row["tema"], contexts=[context], level=level)


def task_for_row(row: Mapping[str, Any]) -> GenerationTask:
    """The generation task a gold row answers: kind, level and angle come from its card."""
    card = row["casos_generados"]
    return task_for(row, str(card.get("kind")), card.get("angle"))


def prompt_messages(row: Mapping[str, Any]) -> list[dict[str, str]]:
    """The system + user turns for a row: exactly what the generator sends for the same task."""
    return build_messages(task_for_row(row))


def target_text(row: Mapping[str, Any]) -> str:
    """The assistant turn: the gold card as canonical JSON (the model's field order, UTF-8)."""
    card = parse_card(row["casos_generados"])
    return json.dumps(card.model_dump(mode="json"), ensure_ascii=False)


def training_messages(row: Mapping[str, Any]) -> list[dict[str, str]]:
    """The full conversation the model is trained on: prompt turns + the gold card."""
    return [*prompt_messages(row), {"role": "assistant", "content": target_text(row)}]


def data_hash(path: Path) -> str:
    """sha256 of the data file's bytes: which data a run was trained on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def row_key(row: Mapping[str, Any]) -> str:
    """What makes two rows duplicates: the same context and the same card (key order ignored)."""
    return json.dumps(
        {"contexto_mcp": row.get("contexto_mcp"), "casos_generados": row.get("casos_generados")},
        sort_keys=True,
        ensure_ascii=False,
    )
