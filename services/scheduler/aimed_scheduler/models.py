"""Tables and the API shapes built on them (Base → Create/Update → table → Public → Plural).

The shapes the gateway reads (public topics, angles, contexts, cards, SRS state) are the wire
contract in aimed_contracts.scheduler_api; the routes import them from there.

Everything a learner owns carries `learner_id`; queries always filter on it so another
learner's ids behave exactly like unknown ones.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from aimed_contracts.fields import CalendarDate, ModuloName, TopicTitle
from aimed_contracts.scheduler_api import AngleStatus, CardOrigin, SrsSettingsUpdate, TopicStatus
from aimed_scheduler.db import UtcDateTime


def _utc_column(*, nullable: bool, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _json_column(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _parent_key(table: str, *, nullable: bool = False, **column: Any) -> Any:
    """A foreign key to `<table>.id`: the row is deleted with its parent."""
    key = Column(Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable, **column)
    return Field(default=None, sa_column=key) if nullable else Field(sa_column=key)


# ---------------------------------------------------------------- learners


class LearnerBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="Europe/Madrid", max_length=64)
    daily_new_limit: int = Field(default=5, ge=0, le=1000)


class LearnerCreate(LearnerBase):
    settings: SrsSettingsUpdate | None = None


class Learner(SQLModel, table=True):
    __tablename__ = "learners"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    daily_new_limit: int
    srs_settings: dict[str, Any] = _json_column()
    created_at: datetime = _utc_column(nullable=False)


# ---------------------------------------------------------------- topics


class TopicBase(SQLModel):
    # The input rules (trimmed, not blank) are aimed_contracts.fields, shared with the gateway.
    title: TopicTitle = Field(max_length=300)
    modulo: ModuloName = Field(max_length=200)
    priority: int = Field(default=3, ge=1, le=5)


class TopicCreate(TopicBase):
    # Empty: available from the learner's today.
    date_assigned: CalendarDate | None = None
    status: TopicStatus = TopicStatus.ACTIVE


class TopicUpdate(SQLModel):
    title: TopicTitle | None = None
    modulo: ModuloName | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    date_assigned: CalendarDate | None = None
    status: TopicStatus | None = None


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_learner_modulo", "learner_id", "modulo"),
        # Lets the new-topic query walk topics in calendar order and stop early.
        Index("ix_topics_learner_assigned", "learner_id", "date_assigned", "priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    title: str = Field(max_length=300)
    modulo: str = Field(max_length=200)
    priority: int = 3
    date_assigned: date
    status: str = Field(default=TopicStatus.ACTIVE.value, max_length=16)
    created_at: datetime = _utc_column(nullable=False)


# ---------------------------------------------------------------- contexts


class ContextBase(SQLModel):
    source_label: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=200_000)


class ContextCreate(ContextBase):
    pass


class Context(ContextBase, table=True):
    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("topic_id", "content_hash", name="uq_contexts_topic_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    topic_id: int = _parent_key("topics", index=True)
    content_hash: str = Field(max_length=64)
    created_at: datetime = _utc_column(nullable=False)


# ---------------------------------------------------------------- angles


class Angle(SQLModel, table=True):
    __tablename__ = "angles"
    __table_args__ = (UniqueConstraint("topic_id", "perspective", name="uq_angles_topic_perspective"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    topic_id: int = _parent_key("topics", index=True)
    perspective: str = Field(max_length=200)
    label: str = Field(max_length=32)
    # The Fail that opened it; undoing that review removes the angle.
    origin_review_id: int | None = Field(default=None, index=True)
    status: str = Field(default=AngleStatus.ACTIVE.value, max_length=16)
    created_at: datetime = _utc_column(nullable=False)


# ---------------------------------------------------------------- SRS state


class SrsStateRow(SQLModel, table=True):
    """The persisted form of `srs.SrsState` for one study item, plus its optimistic-lock version."""

    __tablename__ = "srs_states"
    __table_args__ = (
        Index("ix_srs_states_learner_due", "learner_id", "due_at"),
        Index("ix_srs_states_learner_new", "learner_id", "item_type", "last_reviewed_at"),
        Index("ix_srs_states_learner_first_review", "learner_id", "first_reviewed_at"),
        # One state per topic (angle_id NULL) and one per angle.
        Index(
            "uq_srs_states_topic",
            "topic_id",
            unique=True,
            sqlite_where=text("angle_id IS NULL"),
            postgresql_where=text("angle_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    item_type: str = Field(max_length=8)
    topic_id: int = _parent_key("topics")
    angle_id: int | None = _parent_key("angles", nullable=True, unique=True)
    ease_factor: float
    interval_minutes: int = 0
    repetitions: int = 0
    lapses: int = 0
    due_at: datetime | None = _utc_column(nullable=True)
    level: int = 1
    mastery_streak: int = 0
    mastered_at: datetime | None = _utc_column(nullable=True)
    first_reviewed_at: datetime | None = _utc_column(nullable=True)
    last_reviewed_at: datetime | None = _utc_column(nullable=True)
    # FSRS memory (None until FSRS has seen the item; see srs.fsrs_rules).
    stability: float | None = None
    difficulty: float | None = None
    fsrs_phase: str | None = Field(default=None, max_length=16)
    fsrs_step: int | None = None
    version: int = 1


# ---------------------------------------------------------------- cards


class Card(SQLModel, table=True):
    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_learner_topic", "learner_id", "topic_id", "angle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    topic_id: int = _parent_key("topics")
    angle_id: int | None = _parent_key("angles", nullable=True)
    kind: str = Field(max_length=16)
    level: int
    model_id: str = Field(max_length=300)
    origin: str = Field(default=CardOrigin.MODEL.value, max_length=16)
    markdown: str = ""
    payload: dict[str, Any] = _json_column()
    context_ids: list[int] = _json_column()
    grounding_report: dict[str, Any] = _json_column()
    created_at: datetime = _utc_column(nullable=False)


# ---------------------------------------------------------------- reviews


class Review(SQLModel, table=True):
    """Append-only review log. Rows are never deleted; undo only stamps `undone_at`."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("learner_id", "idempotency_key", name="uq_reviews_learner_key"),
        Index("ix_reviews_learner_reviewed_at", "learner_id", "reviewed_at"),
        Index("ix_reviews_learner_card", "learner_id", "card_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = _parent_key("learners")
    item_type: str = Field(max_length=8)
    # No foreign key: the log outlives angles removed by an undo and cards deleted with them.
    item_id: int
    topic_id: int = _parent_key("topics")
    card_id: int | None = None
    grade: str = Field(max_length=8)
    answer: str | None = None
    chosen_option: int | None = None
    correct: bool | None = None
    duration_ms: int | None = None
    idempotency_key: str = Field(max_length=200)
    previous_state: dict[str, Any] = _json_column()
    new_state: dict[str, Any] = _json_column()
    previous_version: int
    new_version: int
    reviewed_at: datetime = _utc_column(nullable=False)
    undone_at: datetime | None = _utc_column(nullable=True)
