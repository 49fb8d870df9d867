"""Import of a learner's existing `temario.db` (SQLite with a topics table and maybe angles).

Columns are mapped by name (see columns.py); SRS state is kept where present; every column,
table or row that cannot be mapped is reported. One transaction; a dry run writes nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from aimed_contracts.errors import InvalidInput
from aimed_scheduler import repository
from aimed_scheduler.columns import ANGLE_ALIASES, PRIORITY_WORDS, TOPIC_ALIASES, map_columns, normalise
from aimed_scheduler.models import Angle, AngleStatus, ItemType, Learner, SrsStateRow, Topic, TopicStatus
from aimed_scheduler.schemas import TemarioReport
from aimed_scheduler.srs import ItemKind, SrsSettings, SrsState, angle_label
from aimed_scheduler.srs.scheduler import level_for

TOPIC_TABLES = ("topics", "temas", "temario")
ANGLE_TABLES = ("angles", "angulos", "subnodos", "sub_nodos")
STATUS_WORDS = {
    "active": TopicStatus.ACTIVE,
    "activo": TopicStatus.ACTIVE,
    "pendiente": TopicStatus.ACTIVE,
    "dominado": TopicStatus.ACTIVE,
    "mastered": TopicStatus.ACTIVE,
    "suspended": TopicStatus.SUSPENDED,
    "suspendido": TopicStatus.SUSPENDED,
    "pausado": TopicStatus.SUSPENDED,
}


class RowProblem(ValueError):
    """A value in one row that cannot be used; the row is skipped and reported."""


@dataclass
class _Plan:
    topics: list[tuple[Any, Topic, SrsState]] = field(default_factory=list)
    angles: list[tuple[Any, str, SrsState, str]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _parse_day_or_time(value: Any, learner: Learner, name: str) -> datetime:
    """Dates mean the learner's local midnight; naive datetimes are read in the learner's timezone."""
    zone = repository.zone_of(learner)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.combine(datetime.strptime(text, fmt).date(), time(0), zone).astimezone(UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RowProblem(f"{name} '{value}' is not a date (use YYYY-MM-DD)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _parse_date(value: Any, learner: Learner, name: str) -> date:
    return _parse_day_or_time(value, learner, name).astimezone(repository.zone_of(learner)).date()


def _number(value: Any, name: str, cast: type[int] | type[float], minimum: float) -> Any:
    try:
        number = cast(float(str(value).replace(",", ".")))
    except ValueError:
        raise RowProblem(f"{name} '{value}' is not a number") from None
    if number < minimum:
        raise RowProblem(f"{name} {number} is below {minimum}")
    return number


def _present(row: dict[str, Any], key: str) -> bool:
    return row.get(key) not in (None, "")


def _srs_state(
    row: dict[str, Any], kind: ItemKind, learner: Learner, settings: SrsSettings, now: datetime
) -> SrsState:
    ease = _number(row["ease_factor"], "ease_factor", float, 1.0) if _present(row, "ease_factor") else None
    interval = _number(row["interval"], "interval", int, 0) if _present(row, "interval") else 0
    reps = _number(row["repetitions"], "repetitions", int, 0) if _present(row, "repetitions") else 0
    lapses = _number(row["lapses"], "lapses", int, 0) if _present(row, "lapses") else 0
    due = (
        _parse_day_or_time(row["next_review"], learner, "next_review")
        if _present(row, "next_review")
        else None
    )
    last = (
        _parse_day_or_time(row["last_review"], learner, "last_review")
        if _present(row, "last_review")
        else None
    )
    ease = max(settings.minimum_ease, round(ease, 2)) if ease is not None else settings.initial_ease
    if due is None and last is None and reps == 0:
        if kind is ItemKind.ANGLE:
            return SrsState.new_angle(ease, now).evolve(lapses=lapses)
        return SrsState.new_topic(ease).evolve(lapses=lapses)
    if due is None:
        due = (last or now) + timedelta(days=interval)
    if last is None:
        last = min(due - timedelta(days=interval), now)
    minutes = interval * 1440
    return SrsState(
        item_kind=kind,
        ease_factor=ease,
        interval_minutes=minutes,
        repetitions=reps,
        lapses=lapses,
        due_at=due,
        level=level_for(ease, minutes, settings),
        first_reviewed_at=last,
        last_reviewed_at=last,
    )


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]


def _read(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[dict[str, Any]]]:
    cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
    names = [d[0] for d in cursor.description]
    return names, [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _plan(
    conn: sqlite3.Connection, session: Session, learner: Learner, now: datetime, report: TemarioReport
) -> _Plan:
    assert learner.id is not None
    plan = _Plan()
    settings = repository.srs_settings_of(learner)
    tables = _tables(conn)
    topic_table = next((t for t in tables if normalise(t) in TOPIC_TABLES), None)
    angle_table = next((t for t in tables if normalise(t) in ANGLE_TABLES), None)
    if topic_table is None:
        raise InvalidInput(
            f"The file has no topics table (looked for {list(TOPIC_TABLES)}; found {tables}).",
            error_type="invalid_temario",
        )
    for other in tables:
        if other not in (topic_table, angle_table) and not other.startswith("sqlite_"):
            plan.notes.append(f"table '{other}' was not imported (not a topics or angles table)")

    names, rows = _read(conn, topic_table)
    mapping, unmapped = map_columns([n for n in names if normalise(n) != "id"], TOPIC_ALIASES)
    report.mapped_columns[topic_table] = mapping
    report.unmapped_columns[topic_table] = unmapped
    if "title" not in mapping.values():
        raise InvalidInput(
            f"Table '{topic_table}' has no title column (title, tema or nombre); columns: {names}.",
            error_type="invalid_temario",
        )
    id_column = next((n for n in names if normalise(n) == "id"), None)
    existing = {
        (m.casefold(), t.casefold())
        for m, t in session.exec(select(Topic.modulo, Topic.title).where(Topic.learner_id == learner.id))
    }
    if "modulo" not in mapping.values():
        plan.notes.append("no modulo column: topics were put in modulo 'General'")
    for number, raw in enumerate(rows, start=1):
        row = {field: raw[column] for column, field in mapping.items()}
        source_id = raw[id_column] if id_column else number
        try:
            title = str(row.get("title") or "").strip()
            if not title:
                raise RowProblem("title is empty")
            modulo = str(row.get("modulo") or "General").strip() or "General"
            if (modulo.casefold(), title.casefold()) in existing:
                raise RowProblem(f"topic '{title}' already exists in modulo '{modulo}'")
            priority = row.get("priority")
            if isinstance(priority, str) and priority.strip().lower() in PRIORITY_WORDS:
                priority = PRIORITY_WORDS[priority.strip().lower()]
            priority = _number(priority, "priority", int, 1) if priority not in (None, "") else 3
            if priority > 5:
                raise RowProblem(f"priority {priority} is above 5")
            status_word = str(row.get("status") or "active").strip().lower()
            if status_word not in STATUS_WORDS:
                raise RowProblem(f"status '{row['status']}' is unknown (use {sorted(STATUS_WORDS)})")
            assigned = (
                _parse_date(row["date_assigned"], learner, "date_assigned")
                if _present(row, "date_assigned")
                else repository.local_today(learner, now)
            )
            state = _srs_state(row, ItemKind.TOPIC, learner, settings, now)
        except RowProblem as problem:
            plan.skipped.append(
                {"table": topic_table, "row": number, "source_id": source_id, "reason": str(problem)}
            )
            continue
        existing.add((modulo.casefold(), title.casefold()))
        topic = Topic(
            learner_id=learner.id,
            title=title[:300],
            modulo=modulo[:200],
            priority=priority,
            date_assigned=assigned,
            status=STATUS_WORDS[status_word].value,
            created_at=now,
        )
        plan.topics.append((source_id, topic, state))

    if angle_table is not None:
        _plan_angles(conn, angle_table, plan, learner, settings, now, report)
    return plan


def _plan_angles(
    conn: sqlite3.Connection,
    table: str,
    plan: _Plan,
    learner: Learner,
    settings: SrsSettings,
    now: datetime,
    report: TemarioReport,
) -> None:
    names, rows = _read(conn, table)
    mapping, unmapped = map_columns([n for n in names if normalise(n) != "id"], ANGLE_ALIASES)
    report.mapped_columns[table] = mapping
    report.unmapped_columns[table] = unmapped
    known = {str(source_id): topic for source_id, topic, _ in plan.topics}
    used: dict[str, set[str]] = {}
    for number, raw in enumerate(rows, start=1):
        row = {field: raw[column] for column, field in mapping.items()}
        try:
            ref = str(row.get("topic_ref") or "")
            if ref not in known:
                raise RowProblem(f"topic reference '{ref}' is not an imported topic")
            perspective = str(row.get("perspective") or "").strip()
            if not perspective:
                raise RowProblem("perspective is empty")
            taken = used.setdefault(ref, set())
            if perspective.casefold() in taken:
                raise RowProblem(f"perspective '{perspective}' repeats for this topic")
            if len(taken) >= 25:
                raise RowProblem("a topic can have at most 25 angles (Sub-nodo B…Z)")
            state = _srs_state(row, ItemKind.ANGLE, learner, settings, now)
            mastered = str(row.get("status") or "").strip().lower() in ("mastered", "dominado")
        except RowProblem as problem:
            plan.skipped.append({"table": table, "row": number, "reason": str(problem)})
            continue
        if mastered:
            state = state.evolve(mastered_at=now, due_at=None, mastery_streak=settings.angle_mastery_n)
        label = angle_label(len(taken))
        taken.add(perspective.casefold())
        plan.angles.append((ref, perspective, state, label))


def import_temario(
    session: Session, learner: Learner, path: Path, now: datetime, *, dry_run: bool
) -> TemarioReport:
    assert learner.id is not None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = _tables(conn)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            f"The file is not a readable SQLite database ({exc}).", error_type="invalid_temario"
        ) from None
    report = TemarioReport(
        dry_run=dry_run,
        tables=tables,
        mapped_columns={},
        unmapped_columns={},
        topics_imported=0,
        angles_imported=0,
        rows_skipped=[],
        notes=[],
    )
    try:
        plan = _plan(conn, session, learner, now, report)
    finally:
        conn.close()
    report.rows_skipped = plan.skipped
    report.notes = plan.notes
    report.topics_imported = len(plan.topics)
    report.angles_imported = len(plan.angles)
    if dry_run:
        session.rollback()
        return report

    by_source: dict[str, Topic] = {}
    for source_id, topic, state in plan.topics:
        session.add(topic)
        session.flush()
        assert topic.id is not None
        by_source[str(source_id)] = topic
        session.add(
            SrsStateRow(
                learner_id=learner.id,
                item_type=ItemType.TOPIC.value,
                topic_id=topic.id,
                version=1,
                **repository.state_columns(state),
            )
        )
    for ref, perspective, state, label in plan.angles:
        topic = by_source[ref]
        assert topic.id is not None
        angle = Angle(
            learner_id=learner.id,
            topic_id=topic.id,
            perspective=perspective[:200],
            label=label,
            status=(AngleStatus.MASTERED if state.mastered else AngleStatus.ACTIVE).value,
            created_at=now,
        )
        session.add(angle)
        session.flush()
        session.add(
            SrsStateRow(
                learner_id=learner.id,
                item_type=ItemType.ANGLE.value,
                topic_id=topic.id,
                angle_id=angle.id,
                version=1,
                **repository.state_columns(state),
            )
        )
    session.commit()
    return report
