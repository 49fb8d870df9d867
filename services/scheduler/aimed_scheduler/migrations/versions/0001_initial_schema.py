"""Initial schema: learners, topics, contexts, angles, cards, SRS states, reviews.

Create Date: 2026-11-24 00:30:57.604352
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import aimed_scheduler.db

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("daily_new_limit", sa.Integer(), nullable=False),
        sa.Column("srs_settings", sa.JSON(), nullable=False),
        sa.Column("created_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "topics",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("modulo", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("date_assigned", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index("ix_topics_learner_modulo", ["learner_id", "modulo"], unique=False)

    op.create_table(
        "angles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("perspective", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("origin_review_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "perspective", name="uq_angles_topic_perspective"),
    )
    with op.batch_alter_table("angles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_angles_origin_review_id"), ["origin_review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_angles_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "contexts",
        sa.Column("source_label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=200000), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "content_hash", name="uq_contexts_topic_hash"),
    )
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contexts_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("item_type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("chosen_option", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("previous_state", sa.JSON(), nullable=False),
        sa.Column("new_state", sa.JSON(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=False),
        sa.Column("new_version", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "idempotency_key", name="uq_reviews_learner_key"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_learner_card", ["learner_id", "card_id"], unique=False)
        batch_op.create_index("ix_reviews_learner_reviewed_at", ["learner_id", "reviewed_at"], unique=False)

    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("angle_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("model_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("markdown", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("context_ids", sa.JSON(), nullable=False),
        sa.Column("grounding_report", sa.JSON(), nullable=False),
        sa.Column("created_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["angle_id"], ["angles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index("ix_cards_learner_topic", ["learner_id", "topic_id", "angle_id"], unique=False)

    op.create_table(
        "srs_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("item_type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("angle_id", sa.Integer(), nullable=True),
        sa.Column("ease_factor", sa.Float(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("repetitions", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("due_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("mastery_streak", sa.Integer(), nullable=False),
        sa.Column("mastered_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_reviewed_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_reviewed_at", aimed_scheduler.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["angle_id"], ["angles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("angle_id"),
    )
    with op.batch_alter_table("srs_states", schema=None) as batch_op:
        batch_op.create_index("ix_srs_states_learner_due", ["learner_id", "due_at"], unique=False)
        batch_op.create_index(
            "ix_srs_states_learner_first_review", ["learner_id", "first_reviewed_at"], unique=False
        )
        batch_op.create_index(
            "ix_srs_states_learner_new", ["learner_id", "item_type", "last_reviewed_at"], unique=False
        )
        batch_op.create_index(
            "uq_srs_states_topic",
            ["topic_id"],
            unique=True,
            sqlite_where=sa.text("angle_id IS NULL"),
            postgresql_where=sa.text("angle_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("srs_states", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_srs_states_topic",
            sqlite_where=sa.text("angle_id IS NULL"),
            postgresql_where=sa.text("angle_id IS NULL"),
        )
        batch_op.drop_index("ix_srs_states_learner_new")
        batch_op.drop_index("ix_srs_states_learner_first_review")
        batch_op.drop_index("ix_srs_states_learner_due")

    op.drop_table("srs_states")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_learner_topic")

    op.drop_table("cards")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_learner_reviewed_at")
        batch_op.drop_index("ix_reviews_learner_card")

    op.drop_table("reviews")
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contexts_topic_id"))

    op.drop_table("contexts")
    with op.batch_alter_table("angles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_angles_topic_id"))
        batch_op.drop_index(batch_op.f("ix_angles_origin_review_id"))

    op.drop_table("angles")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index("ix_topics_learner_modulo")

    op.drop_table("topics")
    op.drop_table("learners")
