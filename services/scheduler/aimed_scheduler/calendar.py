"""What to study next: due angles and topics first, then today's new topics within the daily limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from aimed_contracts.scheduler_api import (
    AngleStatus,
    ItemType,
    NextStatePreview,
    NextStates,
    StudyItem,
    TopicStatus,
    card_kinds_for,
)
from aimed_scheduler import repository
from aimed_scheduler.models import Angle, Learner, SrsStateRow, Topic
from aimed_scheduler.srs import SrsSettings, SrsState, next_states


def local_midnight_utc(day: date, learner: Learner) -> datetime:
    return datetime.combine(day, time(0), repository.zone_of(learner)).astimezone(UTC)


def new_topics_started(session: Session, learner: Learner, now: datetime) -> int:
    """Topics whose first review happened since the learner's local midnight."""
    since = local_midnight_utc(repository.local_today(learner, now), learner)
    return session.exec(
        select(func.count())
        .select_from(SrsStateRow)
        .where(
            SrsStateRow.learner_id == learner.id,
            SrsStateRow.item_type == ItemType.TOPIC.value,
            col(SrsStateRow.first_reviewed_at) >= since,
        )
    ).one()


def due_query(learner_id: int, now: datetime, limit: int) -> Select[SrsStateRow, Topic, Angle]:
    """Served by ix_srs_states_learner_due (learner_id, due_at): a range scan in due order."""
    return (
        select(SrsStateRow, Topic, Angle)
        .join(Topic, col(Topic.id) == SrsStateRow.topic_id)
        .outerjoin(Angle, col(Angle.id) == SrsStateRow.angle_id)
        .where(
            SrsStateRow.learner_id == learner_id,
            col(SrsStateRow.due_at) <= now,
            Topic.status == TopicStatus.ACTIVE.value,
            or_(col(SrsStateRow.angle_id).is_(None), col(Angle.status) == AngleStatus.ACTIVE.value),
        )
        .order_by(col(SrsStateRow.due_at), col(Topic.priority), col(SrsStateRow.id))
        .limit(limit)
    )


def new_query(learner_id: int, today: date, limit: int) -> Select[SrsStateRow, Topic]:
    """Served by ix_srs_states_learner_new (learner_id, item_type, last_reviewed_at IS NULL)."""
    return (
        select(SrsStateRow, Topic)
        .join(Topic, col(Topic.id) == SrsStateRow.topic_id)
        .where(
            SrsStateRow.learner_id == learner_id,
            SrsStateRow.item_type == ItemType.TOPIC.value,
            col(SrsStateRow.last_reviewed_at).is_(None),
            Topic.status == TopicStatus.ACTIVE.value,
            col(Topic.date_assigned) <= today,
        )
        .order_by(col(Topic.date_assigned), col(Topic.priority), col(Topic.id))
        .limit(limit)
    )


def new_limit_left(session: Session, learner: Learner, now: datetime) -> int:
    return max(0, learner.daily_new_limit - new_topics_started(session, learner, now))


def _preview(state: SrsState, now: datetime) -> NextStatePreview:
    due = state.due_at
    minutes = state.interval_minutes if due is None else round((due - now).total_seconds() / 60)
    return NextStatePreview(interval_minutes=minutes, due_at=due, level=state.level, mastered=state.mastered)


def study_items(
    session: Session,
    rows: list[tuple[SrsStateRow, Topic, Angle | None, str]],
    now: datetime,
    settings: SrsSettings,
) -> list[StudyItem]:
    topic_rows = [topic for _, topic, _, _ in rows]
    known = {row.topic_id: row for row, _, angle, _ in rows if angle is None}
    topics = {
        t.id: p for t, p in zip(topic_rows, repository.topics_public(session, topic_rows, known), strict=True)
    }
    items = []
    for row, topic, angle, reason in rows:
        outcomes = next_states(repository.row_to_state(row), now, settings)
        items.append(
            StudyItem(
                item_type=ItemType(row.item_type),
                item_id=angle.id if angle is not None and angle.id is not None else row.topic_id,
                topic=topics[topic.id],
                angle=repository.angle_public(angle, row) if angle is not None else None,
                state=repository.state_public(row),
                reason="new" if reason == "new" else "due",
                card_kinds=card_kinds_for("new" if reason == "new" else "due", row.level),
                next_states=NextStates(**{g.value: _preview(s, now) for g, s in outcomes.items()}),
            )
        )
    return items


def next_items(session: Session, learner: Learner, now: datetime, limit: int) -> list[StudyItem]:
    settings = repository.srs_settings_of(learner)
    assert learner.id is not None
    chosen: list[tuple[SrsStateRow, Topic, Angle | None, str]] = [
        (row, topic, angle, "due")
        for row, topic, angle in session.exec(due_query(learner.id, now, limit)).all()
    ]
    if len(chosen) < limit:
        room = min(limit - len(chosen), new_limit_left(session, learner, now))
        if room > 0:
            today = repository.local_today(learner, now)
            chosen += [
                (row, topic, None, "new")
                for row, topic in session.exec(new_query(learner.id, today, room)).all()
            ]
    return study_items(session, chosen, now, settings)
