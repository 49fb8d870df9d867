"""Real databases for tests: a fresh SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_ADMIN_URL = os.environ.get("AIMED_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'aimed.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Creates a throwaway database on the local PostgreSQL, yields its SQLAlchemy URL, drops it."""
    name = f"aimed_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
