"""AIMED_SCHEDULER_LOG_LEVEL sets the level of the service's own loggers when the app starts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from aimed_scheduler.config import Settings
from aimed_scheduler.main import create_app


@pytest.fixture
def aimed_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("aimed")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_the_log_level_setting_reaches_the_services_loggers(
    tmp_path: Path, aimed_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMED_SCHEDULER_LOG_LEVEL", "error")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'aimed.db'}")
    assert settings.log_level == "ERROR"
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert aimed_logger.getEffectiveLevel() == logging.ERROR
        assert not logging.getLogger("aimed.errors").isEnabledFor(logging.WARNING)


def test_an_unknown_log_level_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="log_level"):
        Settings(database_url=f"sqlite:///{tmp_path / 'aimed.db'}", log_level="verbose")
