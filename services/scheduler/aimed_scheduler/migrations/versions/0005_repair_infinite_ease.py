"""Repairs SRS states stored with an infinite ease factor.

Before the temario.db import checked its values, `ease_factor='inf'` was stored as is, and
every topic list of that learner then failed. Such a state gets SM-2's default ease (2.5):
the interval and the review history stay. No new row can get there (temario.py refuses
non-finite numbers), so this runs once per database.

Create Date: 2026-12-01 00:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # ±inf lie beyond every finite double in SQLite and PostgreSQL (so does PostgreSQL's NaN;
    # SQLite stores NaN as NULL, which the NOT NULL column never held).
    op.execute("UPDATE srs_states SET ease_factor = 2.5 WHERE ease_factor > 1e308 OR ease_factor < -1e308")


def downgrade() -> None:
    """A repair: there is nothing to put back."""
