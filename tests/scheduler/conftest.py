"""Scheduler fixtures: the app on a fresh real database (SQLite and PostgreSQL) through TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from aimed_scheduler.config import Settings
from aimed_scheduler.main import create_app
from tests.scheduler.utils import Api


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, allow_clock_override=True)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
