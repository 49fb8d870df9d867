"""Alembic environment: runs migrations on the engine handed over by aimed_scheduler.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import aimed_scheduler.models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Two scheduler processes may start together on one PostgreSQL: serialize their migrations.
_PG_MIGRATION_LOCK = 2_026_020_001


def run_migrations_online() -> None:
    config = context.config
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `aimed-scheduler migrate`")
run_migrations_online()
