"""Lossless export of everything a learner owns, and restore into an empty learner (all-or-nothing)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel
from sqlalchemy import func, update
from sqlmodel import Session, SQLModel, col, select

from aimed_contracts.errors import Conflict, InvalidInput
from aimed_contracts.scheduler_api import ReviewRecord as ReviewRecord
from aimed_contracts.scheduler_api import SrsMemory
from aimed_scheduler import repository
from aimed_scheduler.models import Angle, Card, Context, Learner, Review, SrsStateRow, Topic
from aimed_scheduler.srs import SrsSettings, SrsState

FORMAT: Literal["aimed-scheduler-backup"] = "aimed-scheduler-backup"


class LearnerRecord(BaseModel):
    name: str
    timezone: str
    daily_new_limit: int
    srs_settings: dict[str, Any]
    created_at: AwareDatetime


class TopicRecord(BaseModel):
    id: int
    title: str
    modulo: str
    priority: int
    date_assigned: date
    status: str
    created_at: AwareDatetime


class ContextRecord(BaseModel):
    id: int
    topic_id: int
    source_label: str
    text: str
    content_hash: str
    created_at: AwareDatetime


class AngleRecord(BaseModel):
    id: int
    topic_id: int
    perspective: str
    label: str
    origin_review_id: int | None
    status: str
    created_at: AwareDatetime


class SrsStateRecord(SrsMemory):
    item_type: Literal["topic", "angle"]
    topic_id: int
    angle_id: int | None
    fsrs_phase: Literal["learning", "review", "relearning"] | None = None
    version: int


class CardRecord(BaseModel):
    id: int
    topic_id: int
    angle_id: int | None
    kind: str
    level: int
    model_id: str
    # Absent from backups written before example cards: every card was the model's.
    origin: Literal["model", "example"] = "model"
    markdown: str
    payload: dict[str, Any]
    context_ids: list[int]
    grounding_report: dict[str, Any]
    created_at: AwareDatetime


class LearnerBackup(BaseModel):
    format: Literal["aimed-scheduler-backup"] = FORMAT
    version: Literal[1] = 1
    exported_at: AwareDatetime
    learner: LearnerRecord
    topics: list[TopicRecord]
    contexts: list[ContextRecord]
    angles: list[AngleRecord]
    srs_states: list[SrsStateRecord]
    cards: list[CardRecord]
    reviews: list[ReviewRecord]


def _rows(session: Session, table: type[SQLModel], learner_id: int) -> list[Any]:
    return list(session.exec(select(table).where(table.learner_id == learner_id).order_by(table.id)).all())  # type: ignore[attr-defined]


def export_learner(session: Session, learner: Learner, now: datetime) -> LearnerBackup:
    assert learner.id is not None

    def records(model: type[BaseModel], table: type[SQLModel]) -> list[Any]:
        return [model.model_validate(row, from_attributes=True) for row in _rows(session, table, learner.id)]  # type: ignore[arg-type]

    return LearnerBackup(
        exported_at=now,
        learner=LearnerRecord.model_validate(learner, from_attributes=True),
        topics=records(TopicRecord, Topic),
        contexts=records(ContextRecord, Context),
        angles=records(AngleRecord, Angle),
        srs_states=records(SrsStateRecord, SrsStateRow),
        cards=records(CardRecord, Card),
        reviews=records(ReviewRecord, Review),
    )


def _check_references(backup: LearnerBackup) -> list[str]:
    """Every id a row points at must be in the backup; collected all at once."""
    problems: list[str] = []
    topics = {t.id for t in backup.topics}
    angles = {a.id for a in backup.angles}
    contexts = {c.id for c in backup.contexts}
    cards = {c.id for c in backup.cards}
    reviews = {r.id for r in backup.reviews}
    owned: list[tuple[str, list[int]]] = [
        ("contexts", [c.topic_id for c in backup.contexts]),
        ("angles", [a.topic_id for a in backup.angles]),
        ("cards", [c.topic_id for c in backup.cards]),
    ]
    for kind, topic_refs in owned:
        problems += [
            f"{kind}[{i}].topic_id {ref} is not a topic of the backup"
            for i, ref in enumerate(topic_refs)
            if ref not in topics
        ]
    for i, s in enumerate(backup.srs_states):
        if s.topic_id not in topics or (s.angle_id is not None and s.angle_id not in angles):
            problems.append(f"srs_states[{i}] points at a topic/angle not in the backup")
        try:
            SrsState.from_dict({**s.model_dump(mode="json"), "item_kind": s.item_type})
        except (ValueError, KeyError) as exc:
            problems.append(f"srs_states[{i}]: {exc}")
    for i, a in enumerate(backup.angles):
        if a.origin_review_id is not None and a.origin_review_id not in reviews:
            problems.append(
                f"angles[{i}].origin_review_id {a.origin_review_id} is not a review of the backup"
            )
    for i, c in enumerate(backup.cards):
        if c.angle_id is not None and c.angle_id not in angles:
            problems.append(f"cards[{i}].angle_id {c.angle_id} is not an angle of the backup")
        problems += [
            f"cards[{i}].context_ids has unknown context {x}" for x in c.context_ids if x not in contexts
        ]
    for i, r in enumerate(backup.reviews):
        if r.topic_id not in topics:
            problems.append(f"reviews[{i}].topic_id {r.topic_id} is not a topic of the backup")
        if r.card_id is not None and r.card_id not in cards:
            problems.append(f"reviews[{i}].card_id {r.card_id} is not a card of the backup")
        # Undo restores these snapshots, so they must be valid states.
        for name in ("previous_state", "new_state"):
            try:
                SrsState.from_dict(getattr(r, name))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"reviews[{i}].{name}: {exc}")
    try:
        SrsSettings.from_dict(backup.learner.srs_settings)
    except (ValueError, TypeError) as exc:
        problems.append(f"learner.srs_settings: {exc}")
    return problems


def restore_learner(session: Session, learner: Learner, backup: LearnerBackup) -> dict[str, int]:
    assert learner.id is not None
    owned = session.exec(select(func.count()).select_from(Topic).where(Topic.learner_id == learner.id)).one()
    if owned:
        raise Conflict(
            f"Learner {learner.id} already has {owned} topics; restore only into an empty learner.",
            error_type="learner_not_empty",
        )
    problems = _check_references(backup)
    repository.validate_timezone(backup.learner.timezone)
    if problems:
        raise InvalidInput(
            f"The backup is inconsistent ({len(problems)} problem(s)); nothing was restored.", detail=problems
        )
    lid = learner.id
    learner.timezone = backup.learner.timezone
    learner.daily_new_limit = backup.learner.daily_new_limit
    learner.srs_settings = backup.learner.srs_settings
    session.add(learner)

    def insert(row: SQLModel) -> int:
        session.add(row)
        session.flush()
        return int(row.id)  # type: ignore[attr-defined]

    topic_ids = {t.id: insert(Topic(learner_id=lid, **t.model_dump(exclude={"id"}))) for t in backup.topics}
    context_ids = {
        c.id: insert(
            Context(learner_id=lid, **{**c.model_dump(exclude={"id"}), "topic_id": topic_ids[c.topic_id]})
        )
        for c in backup.contexts
    }
    angle_ids = {
        a.id: insert(
            Angle(
                learner_id=lid,
                **{**a.model_dump(exclude={"id", "origin_review_id"}), "topic_id": topic_ids[a.topic_id]},
            )
        )
        for a in backup.angles
    }
    for s in backup.srs_states:
        values = s.model_dump()
        values["topic_id"] = topic_ids[s.topic_id]
        values["angle_id"] = angle_ids[s.angle_id] if s.angle_id is not None else None
        session.add(SrsStateRow(learner_id=lid, **values))
    card_ids = {}
    for c in backup.cards:
        values = c.model_dump(exclude={"id"})
        values["topic_id"] = topic_ids[c.topic_id]
        values["angle_id"] = angle_ids[c.angle_id] if c.angle_id is not None else None
        values["context_ids"] = [context_ids[x] for x in c.context_ids]
        card_ids[c.id] = insert(Card(learner_id=lid, **values))
    review_ids = {}
    for r in backup.reviews:
        values = r.model_dump(exclude={"id"})
        values["topic_id"] = topic_ids[r.topic_id]
        # An angle removed by an undo keeps its id in the log; there is nothing to map it to.
        item_map = topic_ids if r.item_type == "topic" else angle_ids
        values["item_id"] = item_map.get(r.item_id, r.item_id)
        values["card_id"] = card_ids[r.card_id] if r.card_id is not None else None
        review_ids[r.id] = insert(Review(learner_id=lid, **values))
    for a in backup.angles:
        if a.origin_review_id is not None:
            session.execute(
                update(Angle)
                .where(col(Angle.id) == angle_ids[a.id])
                .values(origin_review_id=review_ids[a.origin_review_id])
                .execution_options(synchronize_session=False)
            )
    session.commit()
    return {
        "topics": len(topic_ids),
        "contexts": len(context_ids),
        "angles": len(angle_ids),
        "srs_states": len(backup.srs_states),
        "cards": len(card_ids),
        "reviews": len(review_ids),
    }
