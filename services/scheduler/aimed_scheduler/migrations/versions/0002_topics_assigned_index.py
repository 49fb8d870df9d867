"""Index topics by (learner_id, date_assigned, priority) for the new-topic calendar query.

Create Date: 2026-11-24 00:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_index("ix_topics_learner_assigned", "topics", ["learner_id", "date_assigned", "priority"])


def downgrade() -> None:
    op.drop_index("ix_topics_learner_assigned", table_name="topics")
