"""FSRS memory per study item: stability, difficulty, FSRS phase and learning step.

The learner's `algorithm` and `desired_retention` live in `learners.srs_settings` (JSON, read
through `SrsSettings.from_dict`, where missing keys default to SM-2 and 0.9), so existing
learners need no data change.

Create Date: 2026-12-01 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("srs_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("difficulty", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("fsrs_phase", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("fsrs_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("srs_states", schema=None) as batch_op:
        batch_op.drop_column("fsrs_step")
        batch_op.drop_column("fsrs_phase")
        batch_op.drop_column("difficulty")
        batch_op.drop_column("stability")
