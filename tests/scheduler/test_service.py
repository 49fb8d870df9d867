"""Service plumbing: configuration, migrations at startup, the test clock switch, SQLite pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from aimed_scheduler.config import Settings
from aimed_scheduler.db import make_engine, migrate
from aimed_scheduler.main import create_app


def test_database_url_is_read_from_prefixed_or_plain_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIMED_SCHEDULER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/aimed")
    assert Settings().database_url == "postgresql+psycopg://u@db:5432/aimed"
    monkeypatch.setenv("AIMED_SCHEDULER_DATABASE_URL", "sqlite:////tmp/x.db")
    assert Settings().database_url == "sqlite:////tmp/x.db"
    monkeypatch.setenv("AIMED_SCHEDULER_DATABASE_URL", "mysql://nope")
    with pytest.raises(ValueError, match="not supported"):
        Settings()


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "learners",
        "topics",
        "contexts",
        "angles",
        "cards",
        "srs_states",
        "reviews",
        "alembic_version",
    } <= tables
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("srs_states")}
    assert {"ix_srs_states_learner_due", "ix_srs_states_learner_new"} <= indexes
    # The migrations and the models describe the same schema (no forgotten migration).
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}", sqlite_busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 4321
    engine.dispose()


def test_clock_override_is_refused_unless_enabled(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}")
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/v1/learners", json={"name": "Ana"}, headers={"X-Aimed-Now": "2026-03-02T08:00:00Z"}
        )
        assert response.status_code == 403
        assert response.json()["error"]["type"] == "clock_override_disabled"
        assert client.post("/v1/learners", json={"name": "Ana"}).status_code == 201
        assert client.get("/health").json() == {"status": "ok"}
