"""Dashboard figures for one learner; every date is a day in the learner's timezone."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from aimed_contracts.scheduler_api import (
    AngleStatus,
    CardKind,
    DayCount,
    ItemType,
    ModuloStats,
    StatsPublic,
    TopicStatus,
)
from aimed_scheduler import calendar, repository
from aimed_scheduler.models import Angle, Card, Learner, Review, SrsStateRow, Topic
from aimed_scheduler.srs import Grade


def _active_due_times(session: Session, learner: Learner, until: datetime) -> list[datetime]:
    query = (
        select(SrsStateRow.due_at)
        .join(Topic, col(Topic.id) == SrsStateRow.topic_id)
        .outerjoin(Angle, col(Angle.id) == SrsStateRow.angle_id)
        .where(
            SrsStateRow.learner_id == learner.id,
            col(SrsStateRow.due_at).is_not(None),
            col(SrsStateRow.due_at) < until,
            Topic.status == TopicStatus.ACTIVE.value,
            (col(SrsStateRow.angle_id).is_(None)) | (Angle.status == AngleStatus.ACTIVE.value),
        )
    )
    return [d for d in session.exec(query).all() if d is not None]


def learner_stats(
    session: Session, learner: Learner, now: datetime, days: int, heatmap_days: int
) -> StatsPublic:
    zone = repository.zone_of(learner)
    today = repository.local_today(learner, now)
    horizon = calendar.local_midnight_utc(today + timedelta(days=days), learner)
    tomorrow = calendar.local_midnight_utc(today + timedelta(days=1), learner)

    due_times = _active_due_times(session, learner, horizon)
    # Overdue items count on today: that is when the learner will meet them.
    per_day = Counter(max(d.astimezone(zone).date(), today) for d in due_times)
    forecast = [
        DayCount(date=today + timedelta(days=i), count=per_day.get(today + timedelta(days=i), 0))
        for i in range(days)
    ]

    modulo_rows = session.exec(
        select(Topic.modulo, SrsStateRow.level, col(SrsStateRow.mastered_at).is_not(None))
        .join(SrsStateRow, (col(SrsStateRow.topic_id) == Topic.id) & col(SrsStateRow.angle_id).is_(None))
        .where(Topic.learner_id == learner.id)
    ).all()
    by_modulo: dict[str, ModuloStats] = {}
    for modulo, level, mastered in modulo_rows:
        entry = by_modulo.setdefault(
            modulo, ModuloStats(modulo=modulo, total=0, level1=0, level2=0, mastered=0)
        )
        entry.total += 1
        entry.level1 += level == 1
        entry.level2 += level == 2
        entry.mastered += bool(mastered)

    since = calendar.local_midnight_utc(today - timedelta(days=heatmap_days - 1), learner)
    reviewed = session.exec(
        select(Review.reviewed_at).where(
            Review.learner_id == learner.id, col(Review.undone_at).is_(None), col(Review.reviewed_at) >= since
        )
    ).all()
    heat = Counter(r.astimezone(zone).date() for r in reviewed)
    heatmap = [DayCount(date=d, count=heat[d]) for d in sorted(heat)]

    grades = dict(
        session.exec(
            select(Review.grade, func.count())
            .where(Review.learner_id == learner.id, col(Review.undone_at).is_(None))
            .group_by(Review.grade)
        ).all()
    )
    total = sum(grades.values())
    angles_in_progress = session.exec(
        select(func.count())
        .select_from(Angle)
        .where(Angle.learner_id == learner.id, Angle.status == AngleStatus.ACTIVE.value)
    ).one()
    new_ready = session.exec(
        select(func.count())
        .select_from(SrsStateRow)
        .join(Topic, col(Topic.id) == SrsStateRow.topic_id)
        .where(
            SrsStateRow.learner_id == learner.id,
            SrsStateRow.item_type == ItemType.TOPIC.value,
            col(SrsStateRow.last_reviewed_at).is_(None),
            Topic.status == TopicStatus.ACTIVE.value,
            col(Topic.date_assigned) <= today,
        )
    ).one()
    # A BattleCard is never graded, so only drills count as cards waiting to be studied.
    cards_ready = session.exec(
        select(func.count())
        .select_from(Card)
        .where(
            Card.learner_id == learner.id,
            Card.kind != CardKind.BATTLECARD.value,
            col(Card.id).not_in(repository.used_card_ids(learner.id)),
        )
    ).one()
    return StatsPublic(
        due_today=sum(1 for d in due_times if d < tomorrow),
        new_available_today=min(new_ready, calendar.new_limit_left(session, learner, now)),
        forecast=forecast,
        by_modulo=sorted(by_modulo.values(), key=lambda m: m.modulo),
        heatmap=heatmap,
        success_rate=None if total == 0 else round((total - grades.get(Grade.FAIL.value, 0)) / total, 4),
        reviews_total=total,
        angles_in_progress=angles_in_progress,
        cards_ready=cards_ready,
    )
