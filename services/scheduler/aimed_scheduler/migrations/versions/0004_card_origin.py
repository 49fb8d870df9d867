"""Who wrote each card: `origin` is `model` (every card so far) or `example` (the demo's
hand-written example cards, stored by `aimed-gateway load-demo`).

Create Date: 2026-12-01 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        # The server default fills existing rows: before this revision the model wrote them all.
        batch_op.add_column(
            sa.Column(
                "origin",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="model",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("origin")
