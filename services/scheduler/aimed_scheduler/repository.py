"""Learner-scoped lookups and the conversions between table rows, SRS states and public shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, update
from sqlmodel import Session, col, select

from aimed_contracts.errors import InvalidInput, NotFound
from aimed_contracts.scheduler_api import (
    AnglePublic,
    ItemType,
    LearnerPublic,
    LearnerSettingsPublic,
    SrsSettingsUpdate,
    SrsStatePublic,
    SrsSummary,
    TopicPublic,
    TopicStatus,
)
from aimed_scheduler.models import (
    Angle,
    Card,
    Learner,
    Review,
    SrsStateRow,
    Topic,
    TopicCreate,
)
from aimed_scheduler.srs import STATE_FIELDS, FsrsPhase, ItemKind, SrsSettings, SrsState

Shape = TypeVar("Shape", bound=BaseModel)

# ---------------------------------------------------------------- learners and settings


def get_learner(session: Session, learner_id: int) -> Learner:
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise NotFound(f"Learner {learner_id} does not exist.")
    return learner


def srs_settings_of(learner: Learner) -> SrsSettings:
    return SrsSettings.from_dict(learner.srs_settings)


def zone_of(learner: Learner) -> ZoneInfo:
    return ZoneInfo(learner.timezone)


def local_today(learner: Learner, now: datetime) -> date:
    return now.astimezone(zone_of(learner)).date()


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone '{name}' is not an IANA timezone name; use e.g. 'Europe/Madrid' or 'UTC'.",
            detail=[{"field": "timezone", "message": "unknown timezone"}],
        ) from None
    return name


def merged_settings(current: dict[str, Any], update: SrsSettingsUpdate) -> SrsSettings:
    changes = {
        key: value
        for key, value in update.model_dump(mode="json", exclude_unset=True).items()
        if key in SrsSettings.__dataclass_fields__ and value is not None
    }
    try:
        return SrsSettings.from_dict({**current, **changes})
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{exc}. Fix the listed values and send them again.") from None


@cache
def _field_names(shape: type[BaseModel]) -> tuple[str, ...]:
    return tuple(shape.model_fields)  # ~1 µs a read, and read for every topic of a page


def from_row(shape: type[Shape], row: Any, **computed: Any) -> Shape:
    """A wire shape from a table row: every field the shape declares is the row's attribute of
    that name (read as an attribute, so an expired row reloads), but those given as `computed`."""
    values = {name: getattr(row, name) for name in _field_names(shape) if name not in computed}
    return shape.model_validate({**values, **computed})


def settings_public(learner: Learner) -> LearnerSettingsPublic:
    return from_row(LearnerSettingsPublic, learner, **srs_settings_of(learner).to_dict())


def learner_public(learner: Learner) -> LearnerPublic:
    return from_row(LearnerPublic, learner, settings=settings_public(learner))


# ---------------------------------------------------------------- scoped lookups


Owned = TypeVar("Owned", Topic, Angle, Card)


def get_owned(session: Session, model: type[Owned], learner_id: int, row_id: int) -> Owned:
    """A learner's topic, angle or card by id; NotFound if it is missing or another learner's."""
    found = session.get(model, row_id)
    if found is None or found.learner_id != learner_id:
        raise NotFound(f"{model.__name__} {row_id} does not exist for learner {learner_id}.")
    return found


def get_topic(session: Session, learner_id: int, topic_id: int) -> Topic:
    return get_owned(session, Topic, learner_id, topic_id)


def get_angle(session: Session, learner_id: int, angle_id: int) -> Angle:
    return get_owned(session, Angle, learner_id, angle_id)


def _state_of(item_type: ItemType, item_id: int) -> ColumnElement[bool]:
    if item_type is ItemType.TOPIC:
        return and_(col(SrsStateRow.topic_id) == item_id, col(SrsStateRow.angle_id).is_(None))
    return col(SrsStateRow.angle_id) == item_id


def item_state_row(session: Session, item_type: ItemType, item_id: int) -> SrsStateRow:
    return session.exec(select(SrsStateRow).where(_state_of(item_type, item_id))).one()


def angle_state_row(session: Session, angle_id: int) -> SrsStateRow:
    return item_state_row(session, ItemType.ANGLE, angle_id)


def owned_item_state(
    session: Session, learner_id: int, item_type: ItemType, item_id: int
) -> tuple[SrsStateRow, Angle | None]:
    """A learner's study item as a review needs it, in one query: its state row (which names its
    topic) and, for an angle, the angle. NotFound if the item is missing or another learner's."""
    query = (
        select(SrsStateRow, Angle)
        .outerjoin(Angle, col(Angle.id) == col(SrsStateRow.angle_id))
        .where(_state_of(item_type, item_id))
    )
    found = session.exec(query).first()
    if found is None or found[0].learner_id != learner_id:
        raise NotFound(f"{item_type.value.capitalize()} {item_id} does not exist for learner {learner_id}.")
    return found[0], found[1]


def write_state(session: Session, row_id: int, expected_version: int, state: SrsState) -> bool:
    """Compare-and-set: writes `state` (version + 1) only if the row is still at `expected_version`;
    False when another request moved it first."""
    written = session.execute(
        update(SrsStateRow)
        .where(col(SrsStateRow.id) == row_id, col(SrsStateRow.version) == expected_version)
        .values(**state_columns(state), version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(written.rowcount == 1)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- state conversions


def row_to_state(row: SrsStateRow) -> SrsState:
    values = {name: getattr(row, name) for name in STATE_FIELDS}
    values["fsrs_phase"] = None if row.fsrs_phase is None else FsrsPhase(row.fsrs_phase)
    return SrsState(item_kind=ItemKind(row.item_type), **values)


def state_columns(state: SrsState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in STATE_FIELDS}


def new_topic_state_row(learner_id: int, topic_id: int, settings: SrsSettings) -> SrsStateRow:
    state = SrsState.new_topic(settings.initial_ease)
    return SrsStateRow(
        learner_id=learner_id,
        item_type=ItemType.TOPIC.value,
        topic_id=topic_id,
        version=1,
        **state_columns(state),
    )


def summary(row: SrsStateRow) -> SrsSummary:
    return SrsSummary(
        level=row.level,
        mastered=row.mastered_at is not None,
        due_at=row.due_at,
        ease_factor=row.ease_factor,
        interval_days=row.interval_minutes // 1440,
        repetitions=row.repetitions,
        lapses=row.lapses,
        version=row.version,
    )


def state_public(row: SrsStateRow) -> SrsStatePublic:
    item_id = row.angle_id if row.item_type == ItemType.ANGLE.value else row.topic_id
    assert item_id is not None
    return SrsStatePublic(
        item_type=ItemType(row.item_type),
        item_id=item_id,
        interval_days=row.interval_minutes // 1440,
        mastered=row.mastered_at is not None,
        **{name: getattr(row, name) for name in (*STATE_FIELDS, "version")},
    )


def state_public_from_dict(
    item_type: ItemType, item_id: int, data: dict[str, Any], version: int
) -> SrsStatePublic:
    state = SrsState.from_dict(data)
    return SrsStatePublic(
        item_type=item_type,
        item_id=item_id,
        interval_days=state.interval_days,
        mastered=state.mastered,
        version=version,
        **state_columns(state),
    )


# ---------------------------------------------------------------- topics and angles


def create_topic(
    session: Session, learner: Learner, data: TopicCreate, now: datetime, settings: SrsSettings
) -> Topic:
    assert learner.id is not None
    topic = Topic(
        learner_id=learner.id,
        title=data.title,
        modulo=data.modulo,
        priority=data.priority,
        date_assigned=data.date_assigned or local_today(learner, now),
        status=TopicStatus(data.status).value,
        created_at=now,
    )
    session.add(topic)
    session.flush()
    assert topic.id is not None
    session.add(new_topic_state_row(learner.id, topic.id, settings))
    return topic


def topics_public(
    session: Session, topics: Sequence[Topic], known_states: dict[int, SrsStateRow] | None = None
) -> list[TopicPublic]:
    """Builds the public shapes with at most two queries for the whole page (no per-topic round trips).

    `known_states`: topic states the caller already loaded (the calendar has them); not queried again.
    """
    ids = [t.id for t in topics if t.id is not None]
    if not ids:
        return []
    states = dict(known_states or {})
    missing = [i for i in ids if i not in states]
    if missing:
        query = select(SrsStateRow).where(
            col(SrsStateRow.topic_id).in_(missing), col(SrsStateRow.angle_id).is_(None)
        )
        states.update((row.topic_id, row) for row in session.exec(query))
    per_topic = (
        select(Angle.topic_id, func.count()).where(col(Angle.topic_id).in_(ids)).group_by(col(Angle.topic_id))
    )
    counts = dict(session.exec(per_topic).all())
    return [
        from_row(TopicPublic, topic, srs=summary(states[topic.id]), angle_count=counts.get(topic.id, 0))
        for topic in topics
        if topic.id is not None
    ]


def topic_public(session: Session, topic: Topic) -> TopicPublic:
    return topics_public(session, [topic])[0]


def angle_public(angle: Angle, row: SrsStateRow) -> AnglePublic:
    return from_row(AnglePublic, angle, srs=summary(row))


def used_perspectives(session: Session, topic_id: int) -> list[str]:
    return list(session.exec(select(Angle.perspective).where(Angle.topic_id == topic_id)).all())


def used_card_ids(learner_id: int | None) -> Any:
    """A subquery of the learner's cards that a review (not undone) has used: "unreviewed" is not in it."""
    return select(Review.card_id).where(
        Review.learner_id == learner_id, col(Review.card_id).is_not(None), col(Review.undone_at).is_(None)
    )
