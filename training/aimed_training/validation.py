"""`aimed-train validate`: a per-line report of everything that makes a gold row unusable.

Checks, in order, each reported with its line number: JSON, required fields, the card
schema (aimed_contracts.cards), the grounding gate (aimed_contracts.grounding.check_card,
the generator's own gate), the split value, duplicates, and — with a tokenizer — rows
longer than max_seq_length (reported, never cut).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aimed_contracts.cards import parse_card
from aimed_contracts.grounding import check_card
from aimed_training.dataset import REQUIRED_FIELDS, read_jsonl, row_key

SPLITS = ("train", "heldout")

TokenCounter = Callable[[dict[str, Any]], int]


@dataclass(frozen=True)
class LineProblem:
    line_no: int
    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line_no, "code": self.code, "field": self.field, "message": self.message}


@dataclass
class ValidationReport:
    path: Path
    rows: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    token_lengths: dict[int, int] = field(default_factory=dict)
    max_seq_length: int | None = None

    @property
    def bad_lines(self) -> list[int]:
        return sorted({p.line_no for p in self.problems})

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "rows": self.rows,
            "bad_lines": self.bad_lines,
            "max_seq_length": self.max_seq_length,
            "longest_row_tokens": max(self.token_lengths.values(), default=None),
            "problems": [p.as_dict() for p in self.problems],
        }


def _field_problems(line_no: int, row: dict[str, Any]) -> Iterable[LineProblem]:
    for name in REQUIRED_FIELDS:
        if name not in row or row[name] in (None, "", {}):
            yield LineProblem(line_no, "missing_field", name, f"missing required field {name!r}")
    for name in ("tema", "contexto_mcp"):
        if name in row and row[name] not in (None, "") and not isinstance(row[name], str):
            yield LineProblem(line_no, "wrong_type", name, f"{name!r} must be a string")
    card = row.get("casos_generados")
    if card not in (None, "", {}) and not isinstance(card, dict):
        yield LineProblem(
            line_no, "wrong_type", "casos_generados", "'casos_generados' must be a JSON object (the card)"
        )
    split = row.get("split")
    if split is not None and split not in SPLITS:
        yield LineProblem(
            line_no, "bad_split", "split", f"split must be one of {', '.join(SPLITS)}, got {split!r}"
        )


def _card_problems(line_no: int, row: dict[str, Any]) -> list[LineProblem]:
    card = row["casos_generados"]
    try:
        parse_card(card)
    except ValidationError as exc:
        return [
            LineProblem(
                line_no,
                "card_schema",
                "casos_generados." + ".".join(str(p) for p in err["loc"]),
                err["msg"],
            )
            for err in exc.errors()
        ]
    report = check_card(card, row["contexto_mcp"], topic=row["tema"])
    return [
        LineProblem(line_no, f"grounding:{issue.code}", f"casos_generados.{issue.field}", issue.message)
        for issue in report.issues
    ]


def validate_file(
    path: Path,
    *,
    count_tokens: TokenCounter | None = None,
    max_seq_length: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Validate every line of `path`; never stops at the first problem."""
    report = ValidationReport(path=path, max_seq_length=max_seq_length)
    first_seen: dict[str, int] = {}
    for line in read_jsonl(path):
        report.rows += 1
        if progress and report.rows % 25 == 0:
            progress(f"checked {report.rows} rows")
        if line.row is None:
            report.problems.append(LineProblem(line.line_no, "bad_json", "", line.error or "unreadable line"))
            continue
        row = line.row
        field_problems = list(_field_problems(line.line_no, row))
        report.problems.extend(field_problems)
        if field_problems and any(p.field in REQUIRED_FIELDS for p in field_problems):
            continue
        card_problems = _card_problems(line.line_no, row)
        report.problems.extend(card_problems)
        key = row_key(row)
        if key in first_seen:
            report.problems.append(
                LineProblem(line.line_no, "duplicate", "", f"same context and card as line {first_seen[key]}")
            )
        else:
            first_seen[key] = line.line_no
        if (
            count_tokens is not None
            and max_seq_length is not None
            and not any(p.code == "card_schema" for p in card_problems)
        ):
            n_tokens = count_tokens(row)
            report.token_lengths[line.line_no] = n_tokens
            if n_tokens > max_seq_length:
                report.problems.append(
                    LineProblem(
                        line.line_no,
                        "too_long",
                        "",
                        f"{n_tokens} tokens with the chat template, over max_seq_length {max_seq_length} "
                        "(the row is not cut: shorten its context or raise model.max_seq_length)",
                    )
                )
    return report


def format_report(report: ValidationReport) -> str:
    lines = [
        f"{report.path}:{p.line_no}: {p.code}{' ' + p.field if p.field else ''}: {p.message}"
        for p in report.problems
    ]
    longest = max(report.token_lengths.values(), default=None)
    summary = f"{report.rows} rows, {len(report.bad_lines)} bad"
    if longest is not None:
        summary += f", longest {longest} tokens (max_seq_length {report.max_seq_length})"
    else:
        summary += ", token lengths not checked (pass --config to count them with the model's tokenizer)"
    if report.bad_lines:
        summary += f"; bad lines: {', '.join(map(str, report.bad_lines))}"
    if report.rows == 0:
        summary += "; the file has no rows"
    return "\n".join([*lines, summary])
