"""All-or-nothing bulk import of topics from CSV or JSON: every row is validated before any write."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from aimed_contracts.errors import InvalidInput
from aimed_contracts.scheduler_api import ImportRowError
from aimed_scheduler import repository
from aimed_scheduler.columns import PRIORITY_WORDS, TOPIC_ALIASES, map_columns
from aimed_scheduler.models import Learner, Topic, TopicCreate

MAX_ROWS = 20_000
IMPORT_FIELDS = ("title", "modulo", "priority", "date_assigned", "status")


def parse_rows(body: bytes, content_type: str) -> list[tuple[int, dict[str, Any]]]:
    """Returns (row number, raw row); CSV rows are numbered by their line in the file (header = 1)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The import is not UTF-8 text; save the file as UTF-8 and retry.") from None
    if "csv" in content_type:
        return _csv_rows(text)
    if "json" in content_type:
        return _json_rows(text)
    raise InvalidInput(
        f"Unsupported content type '{content_type}'; send application/json (a list of topics) or text/csv."
    )


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise InvalidInput(
            "The CSV has no header line; the first line must name the columns (title, modulo…)."
        )
    mapping, unmapped = map_columns(list(reader.fieldnames), TOPIC_ALIASES)
    unknown = unmapped + [c for c, f in mapping.items() if f not in IMPORT_FIELDS]
    if unknown:
        raise InvalidInput(
            f"Unknown CSV columns {unknown}; accepted: {list(IMPORT_FIELDS)} "
            "(or tema/nombre, módulo, prioridad, fecha).",
            error_type="invalid_rows",
            detail=[{"row": 1, "field": c, "message": "unknown column"} for c in unknown],
        )
    rows = []
    for record in reader:
        values = {
            mapping[k]: (v.strip() if isinstance(v, str) else v) for k, v in record.items() if k in mapping
        }
        if not any(values.values()):
            continue
        rows.append((reader.line_num, {k: v for k, v in values.items() if v not in ("", None)}))
    return rows


def _json_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The JSON is malformed at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise InvalidInput('The JSON import must be a list of topic objects (or {"data": [...]}).')
    rows: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(data, start=1):
        rows.append((index, item if isinstance(item, dict) else {"__not_object__": item}))
    return rows


def validate_rows(
    session: Session, learner: Learner, rows: list[tuple[int, dict[str, Any]]]
) -> tuple[list[TopicCreate], list[ImportRowError]]:
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"The import has {len(rows)} rows; the maximum is {MAX_ROWS}. Split the file.")
    errors: list[ImportRowError] = []
    valid: list[TopicCreate] = []
    existing = {
        (m.casefold(), t.casefold())
        for m, t in session.exec(select(Topic.modulo, Topic.title).where(Topic.learner_id == learner.id))
    }
    seen: dict[tuple[str, str], int] = {}
    for row_number, raw in rows:
        if "__not_object__" in raw:
            errors.append(ImportRowError(row=row_number, field="", message="each row must be a JSON object"))
            continue
        if isinstance(raw.get("priority"), str) and raw["priority"].strip().lower() in PRIORITY_WORDS:
            raw = {**raw, "priority": PRIORITY_WORDS[raw["priority"].strip().lower()]}
        unknown = sorted(set(raw) - set(IMPORT_FIELDS))
        for name in unknown:
            errors.append(ImportRowError(row=row_number, field=name, message="unknown field"))
        try:
            topic = TopicCreate.model_validate({k: v for k, v in raw.items() if k in IMPORT_FIELDS})
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or ""
                errors.append(ImportRowError(row=row_number, field=field, message=err["msg"]))
            continue
        key = (topic.modulo.casefold(), topic.title.casefold())
        if key in existing:
            errors.append(
                ImportRowError(
                    row=row_number, field="title", message="this topic already exists in this modulo"
                )
            )
        elif key in seen:
            errors.append(
                ImportRowError(row=row_number, field="title", message=f"duplicate of row {seen[key]}")
            )
        else:
            seen[key] = row_number
            if not unknown:
                valid.append(topic)
    return valid, errors


def import_topics(
    session: Session, learner: Learner, rows: list[tuple[int, dict[str, Any]]], now: datetime
) -> list[Topic]:
    if not rows:
        raise InvalidInput("The import has no rows.")
    valid, errors = validate_rows(session, learner, rows)
    if errors:
        raise InvalidInput(
            f"{len(errors)} problem(s) in {len({e.row for e in errors})} row(s); nothing was imported. "
            "Fix every listed row and send the whole file again.",
            error_type="invalid_rows",
            detail=[e.model_dump() for e in errors],
        )
    settings = repository.srs_settings_of(learner)
    return [repository.create_topic(session, learner, topic, now, settings) for topic in valid]
