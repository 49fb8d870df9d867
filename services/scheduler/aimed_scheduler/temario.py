"""Import of a learner's existing `temario.db` (SQLite with a topics table and maybe angles).

The file is untrusted: it is opened read-only and immutable with an untrusted schema, checked
page by page first (`PRAGMA quick_check`), and read under a time budget. Any table layout
SQLite allows is read (rowid or `WITHOUT ROWID` tables, views, odd names). Columns are mapped
by name (see columns.py); every value is checked (finite numbers in range, dates between
1900 and 2199); a row with a value that cannot be used is skipped and reported with its table,
row number, column and reason, as is every column or table that cannot be mapped. The UI
shows those reasons and notes to the learner as they are, so they are written in Spanish.

All or nothing: the previewed rows are stored in one transaction, or nothing is; a dry run
writes nothing and reports exactly what the import would do.
"""

from __future__ import annotations

import math
import sqlite3
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_contracts.limits import TEMARIO_MAX_BYTES
from aimed_contracts.scheduler_api import (
    AngleStatus,
    ItemType,
    TemarioReport,
    TemarioSkippedRow,
    TemarioTopicPreview,
    TopicStatus,
)
from aimed_scheduler import repository
from aimed_scheduler.columns import ANGLE_ALIASES, PRIORITY_WORDS, TOPIC_ALIASES, map_columns, normalise
from aimed_scheduler.models import Angle, Learner, SrsStateRow, Topic
from aimed_scheduler.srs import ItemKind, SrsSettings, SrsState, angle_label
from aimed_scheduler.srs.scheduler import level_for
from aimed_scheduler.topic_import import MAX_ROWS

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
# Ranges a hand-kept SM-2 temario can hold; anything outside is a broken value, not a state.
EASE_RANGE = (1.0, 10.0)
MAX_INTERVAL_DAYS = 36_500
MAX_COUNT = 100_000
FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_ANGLE_ROWS = 5 * MAX_ROWS
# A crafted view can make SQLite compute for ever; reading the file gets this many seconds.
READ_BUDGET_S = 60.0
TITLE_MAX, MODULO_MAX, PERSPECTIVE_MAX = 300, 200, 200


def _invalid(message: str, detail: Any = None) -> InvalidInput:
    return InvalidInput(message, error_type="invalid_temario", detail=detail)


class RowProblem(ValueError):
    """A value in one row that cannot be used; the row is skipped and reported."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass
class _Plan:
    topics: list[tuple[Any, Topic, SrsState]] = field(default_factory=list)
    angles: list[tuple[str, str, SrsState, str]] = field(default_factory=list)
    skipped: list[TemarioSkippedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Row:
    """One source row: its values by field, and the source column each field came from."""

    values: dict[str, Any]
    columns: dict[str, str]

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


def _text(row: _Row, name: str) -> str:
    value = row.values.get(name)
    if value is None:
        return ""
    if isinstance(value, bytes):
        raise RowProblem(f"{row.column(name)} es binario o no es texto UTF-8", row.column(name))
    if isinstance(value, float) and not math.isfinite(value):
        raise RowProblem(f"{row.column(name)} es {value}, no un texto", row.column(name))
    return str(value).strip()


def _number(row: _Row, name: str, *, minimum: float, maximum: float, integer: bool) -> Any:
    value, column = row.values[name], row.column(name)
    if isinstance(value, bytes):
        raise RowProblem(f"{column} es binario (BLOB), no un número", column)
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise RowProblem(f"{column} '{value}' no es un número", column) from None
    if not math.isfinite(number):
        raise RowProblem(f"{column} '{value}' no es un número finito", column)
    if not minimum <= number <= maximum:
        raise RowProblem(f"{column} {value} está fuera de {minimum:g}…{maximum:g}", column)
    return round(number) if integer else number


def _in_range(moment: datetime, column: str, value: Any) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise RowProblem(f"{column} '{value}' está fuera de los años {FIRST_YEAR}–{LAST_YEAR}", column)
    return moment


def _moment(row: _Row, name: str, learner: Learner) -> datetime:
    """A date or time as UTC: dates mean the learner's local midnight; naive times are local too.

    Numbers are Unix timestamps in seconds.
    """
    value, column = row.values[name], row.column(name)
    zone = repository.zone_of(learner)
    try:
        if isinstance(value, bytes):
            raise RowProblem(f"{column} es binario (BLOB), no una fecha", column)
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise RowProblem(f"{column} '{value}' no es una fecha", column)
            return _in_range(datetime.fromtimestamp(float(value), UTC), column, value)
        text = str(value).strip()
        for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
            try:
                day = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return _in_range(datetime.combine(day, time(0), zone).astimezone(UTC), column, value)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RowProblem(f"{column} '{value}' no es una fecha (usa AAAA-MM-DD)", column) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return _in_range(parsed.astimezone(UTC), column, value)
    except (OverflowError, OSError, ValueError) as exc:
        if isinstance(exc, RowProblem):
            raise
        raise RowProblem(
            f"{column} '{value}' está fuera de los años {FIRST_YEAR}–{LAST_YEAR}", column
        ) from None


def _day(row: _Row, name: str, learner: Learner) -> date:
    return _moment(row, name, learner).astimezone(repository.zone_of(learner)).date()


def _srs_state(row: _Row, kind: ItemKind, learner: Learner, settings: SrsSettings, now: datetime) -> SrsState:
    def count(name: str, maximum: float) -> int:
        return _number(row, name, minimum=0, maximum=maximum, integer=True) if row.present(name) else 0

    ease = (
        _number(row, "ease_factor", minimum=EASE_RANGE[0], maximum=EASE_RANGE[1], integer=False)
        if row.present("ease_factor")
        else None
    )
    interval, reps, lapses = (
        count("interval", MAX_INTERVAL_DAYS),
        count("repetitions", MAX_COUNT),
        count("lapses", MAX_COUNT),
    )
    due = _moment(row, "next_review", learner) if row.present("next_review") else None
    last = _moment(row, "last_review", learner) if row.present("last_review") else None
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


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(conn: sqlite3.Connection) -> list[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    )
    return [str(r[0]) for r in conn.execute(query)]


def _read(conn: sqlite3.Connection, table: str, max_rows: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every row in the table's own order (no rowid needed: `WITHOUT ROWID` tables and views work)."""
    cursor = conn.execute(f"SELECT * FROM {_quoted(table)}")
    names = [str(d[0]) for d in cursor.description]
    rows = cursor.fetchmany(max_rows + 1)
    if len(rows) > max_rows:
        raise _invalid(
            f"Table '{table}' has more than {max_rows} rows; split the temario and import it in parts."
        )
    return names, rows


def _map(
    names: list[str], aliases: dict[str, tuple[str, ...]]
) -> tuple[dict[str, str], list[str], str | None]:
    """({column: field}, unmapped columns, the id column) of a table."""
    id_column = next((n for n in names if normalise(n) == "id"), None)
    mapping, unmapped = map_columns([n for n in names if n != id_column], aliases)
    return mapping, unmapped, id_column


def _rows(names: list[str], raw_rows: list[tuple[Any, ...]], mapping: dict[str, str]) -> list[_Row]:
    index = {name: i for i, name in enumerate(names)}
    columns = {f: c for c, f in mapping.items()}
    return [_Row({f: raw[index[c]] for c, f in mapping.items()}, columns) for raw in raw_rows]


def _plan(
    conn: sqlite3.Connection, session: Session, learner: Learner, now: datetime, report: TemarioReport
) -> _Plan:
    assert learner.id is not None
    plan = _Plan()
    settings = repository.srs_settings_of(learner)
    tables = report.tables
    topic_table = next((t for t in tables if normalise(t) in TOPIC_TABLES), None)
    angle_table = next((t for t in tables if normalise(t) in ANGLE_TABLES), None)
    if topic_table is None:
        raise _invalid(f"The file has no topics table (looked for {list(TOPIC_TABLES)}; found {tables}).")
    for other in tables:
        if other not in (topic_table, angle_table):
            plan.notes.append(f"la tabla '{other}' no se importa (no es de temas ni de sub-nodos)")

    names, raw_rows = _read(conn, topic_table, MAX_ROWS)
    mapping, unmapped, id_column = _map(names, TOPIC_ALIASES)
    report.mapped_columns[topic_table] = mapping
    report.unmapped_columns[topic_table] = unmapped
    if "title" not in mapping.values():
        raise _invalid(
            f"Table '{topic_table}' has no title column (title, tema or nombre); columns: {names}."
        )
    existing = {
        (m.casefold(), t.casefold())
        for m, t in session.exec(select(Topic.modulo, Topic.title).where(Topic.learner_id == learner.id))
    }
    if "modulo" not in mapping.values():
        plan.notes.append("no hay columna de módulo: los temas van al módulo 'General'")
    id_index = names.index(id_column) if id_column else None
    for number, (raw, row) in enumerate(zip(raw_rows, _rows(names, raw_rows, mapping), strict=True), start=1):
        source_id = raw[id_index] if id_index is not None else number
        try:
            title = _text(row, "title")
            if not title:
                raise RowProblem(f"{row.column('title')} está vacío", row.column("title"))
            if len(title) > TITLE_MAX:
                raise RowProblem(
                    f"{row.column('title')} tiene más de {TITLE_MAX} caracteres", row.column("title")
                )
            modulo = _text(row, "modulo") or "General"
            if len(modulo) > MODULO_MAX:
                raise RowProblem(
                    f"{row.column('modulo')} tiene más de {MODULO_MAX} caracteres", row.column("modulo")
                )
            if (modulo.casefold(), title.casefold()) in existing:
                raise RowProblem(f"el tema '{title}' ya existe en el módulo '{modulo}'", row.column("title"))
            priority = 3
            if row.present("priority"):
                word = row.values["priority"]
                if isinstance(word, str) and word.strip().lower() in PRIORITY_WORDS:
                    priority = PRIORITY_WORDS[word.strip().lower()]
                else:
                    priority = _number(row, "priority", minimum=1, maximum=5, integer=True)
            status_word = (_text(row, "status") or "active").lower()
            if status_word not in STATUS_WORDS:
                raise RowProblem(
                    f"{row.column('status')} '{row.values['status']}' no es un estado conocido "
                    f"(usa {sorted(STATUS_WORDS)})",
                    row.column("status"),
                )
            assigned = (
                _day(row, "date_assigned", learner)
                if row.present("date_assigned")
                else repository.local_today(learner, now)
            )
            state = _srs_state(row, ItemKind.TOPIC, learner, settings, now)
        except RowProblem as problem:
            plan.skipped.append(
                TemarioSkippedRow(
                    table=topic_table,
                    row=number,
                    source_id=_json_safe(source_id),
                    column=problem.column,
                    reason=str(problem),
                )
            )
            continue
        existing.add((modulo.casefold(), title.casefold()))
        topic = Topic(
            learner_id=learner.id,
            title=title,
            modulo=modulo,
            priority=priority,
            date_assigned=assigned,
            status=STATUS_WORDS[status_word].value,
            created_at=now,
        )
        plan.topics.append((source_id, topic, state))

    if angle_table is not None:
        _plan_angles(conn, angle_table, plan, learner, settings, now, report)
    return plan


def _json_safe(value: Any) -> str | int | float | None:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, (str, int, float)) or value is None else str(value)


def _plan_angles(
    conn: sqlite3.Connection,
    table: str,
    plan: _Plan,
    learner: Learner,
    settings: SrsSettings,
    now: datetime,
    report: TemarioReport,
) -> None:
    names, raw_rows = _read(conn, table, MAX_ANGLE_ROWS)
    mapping, unmapped, _ = _map(names, ANGLE_ALIASES)
    report.mapped_columns[table] = mapping
    report.unmapped_columns[table] = unmapped
    known = {str(_json_safe(source_id)) for source_id, _, _ in plan.topics}
    used: dict[str, set[str]] = {}
    for number, row in enumerate(_rows(names, raw_rows, mapping), start=1):
        try:
            ref = str(_json_safe(row.values.get("topic_ref"))) if row.present("topic_ref") else ""
            if ref not in known:
                raise RowProblem(f"la referencia '{ref}' no es un tema importado", row.column("topic_ref"))
            perspective = _text(row, "perspective")
            if not perspective:
                raise RowProblem(f"{row.column('perspective')} está vacío", row.column("perspective"))
            if len(perspective) > PERSPECTIVE_MAX:
                raise RowProblem(
                    f"{row.column('perspective')} tiene más de {PERSPECTIVE_MAX} caracteres",
                    row.column("perspective"),
                )
            taken = used.setdefault(ref, set())
            if perspective.casefold() in taken:
                raise RowProblem(
                    f"la perspectiva '{perspective}' se repite en este tema", row.column("perspective")
                )
            if len(taken) >= 25:
                raise RowProblem("un tema admite como máximo 25 sub-nodos (Sub-nodo B…Z)")
            state = _srs_state(row, ItemKind.ANGLE, learner, settings, now)
            mastered = _text(row, "status").lower() in ("mastered", "dominado")
        except RowProblem as problem:
            plan.skipped.append(
                TemarioSkippedRow(table=table, row=number, column=problem.column, reason=str(problem))
            )
            continue
        if mastered:
            state = state.evolve(mastered_at=now, due_at=None, mastery_streak=settings.angle_mastery_n)
        label = angle_label(len(taken))
        taken.add(perspective.casefold())
        plan.angles.append((ref, perspective, state, label))


def _decoded(raw: bytes) -> str | bytes:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _open(path: Path) -> sqlite3.Connection:
    """Read-only and immutable (no journal, no WAL recovery), with functions in the schema untrusted."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        # Text that is not UTF-8 arrives as bytes and is reported per value, not as a failed read.
        conn.text_factory = _decoded
        conn.execute("PRAGMA trusted_schema = OFF")
        problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        raise _invalid(
            f"The file is not a readable SQLite database ({exc}); upload the temario.db itself."
        ) from None
    if problems != ["ok"]:
        conn.close()
        raise _invalid(
            "The file is a damaged SQLite database (its integrity check failed); "
            "restore it from a copy, or open it in sqlite3 and run .recover.",
            detail=problems,
        )
    deadline = clock.monotonic() + READ_BUDGET_S
    conn.set_progress_handler(lambda: int(clock.monotonic() > deadline), 10_000)
    return conn


def import_temario(
    session: Session, learner: Learner, path: Path, now: datetime, *, dry_run: bool
) -> TemarioReport:
    assert learner.id is not None
    size = path.stat().st_size
    if size > TEMARIO_MAX_BYTES:
        raise PayloadTooLarge(
            f"The temario is {size} bytes; the limit is {TEMARIO_MAX_BYTES} bytes (50 MiB).",
            detail={"bytes": size, "max_bytes": TEMARIO_MAX_BYTES},
        )
    conn = _open(path)
    try:
        report = TemarioReport(
            dry_run=dry_run,
            tables=_tables(conn),
            mapped_columns={},
            unmapped_columns={},
            topics_imported=0,
            angles_imported=0,
            rows_skipped=[],
            notes=[],
            topics=[],
        )
        plan = _plan(conn, session, learner, now, report)
    except sqlite3.DatabaseError as exc:
        interrupted = "interrupt" in str(exc).lower()
        raise _invalid(
            f"Reading the temario took longer than {READ_BUDGET_S:g} s; simplify its views and retry."
            if interrupted
            else f"The temario could not be read ({exc}); check the file in sqlite3."
        ) from None
    finally:
        conn.close()
    report.rows_skipped = plan.skipped
    report.notes = plan.notes
    report.topics_imported = len(plan.topics)
    report.angles_imported = len(plan.angles)
    report.topics = [
        repository.from_row(TemarioTopicPreview, topic, due_at=state.due_at, level=state.level)
        for _, topic, state in plan.topics
    ]
    if dry_run:
        session.rollback()
        return report
    _store(session, learner, plan)
    return report


def _store(session: Session, learner: Learner, plan: _Plan) -> None:
    """Writes the plan in the session's one transaction (the caller's session commits or rolls back)."""
    assert learner.id is not None
    by_source: dict[str, Topic] = {}
    try:
        for source_id, topic, state in plan.topics:
            session.add(topic)
            session.flush()
            assert topic.id is not None
            by_source[str(_json_safe(source_id))] = topic
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
                perspective=perspective,
                label=label,
                status=(AngleStatus.MASTERED if state.mastered else AngleStatus.ACTIVE).value,
                created_at=topic.created_at,
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
    except BaseException:
        session.rollback()
        raise
