"""The scheduler's settings: environment variables prefixed AIMED_SCHEDULER_."""

from __future__ import annotations

import logging
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aimed_servicekit.internal_token import internal_token_setting


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMED_SCHEDULER_", extra="ignore", populate_by_name=True)

    # The plain DATABASE_URL is accepted too, as docker and most PaaS set it.
    database_url: str = Field(
        default="sqlite:///var/data/aimed.db",
        validation_alias=AliasChoices("AIMED_SCHEDULER_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL: `sqlite:///path.db` (WAL) or `postgresql://user:pass@host/db`.",
    )
    allow_clock_override: bool = Field(
        default=False,
        description="Test only: honour the `X-Aimed-Now` header. Never enable in production.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long a SQLite writer waits for the lock."
    )
    host: str = Field(default="127.0.0.1", description="Bind address of `aimed-scheduler serve`.")
    port: int = Field(default=8002, description="Port of `aimed-scheduler serve`.")
    log_level: str = Field(default="INFO", description="Python logging level of the `aimed.*` loggers.")
    internal_token: SecretStr | None = internal_token_setting("AIMED_SCHEDULER_INTERNAL_TOKEN")

    @field_validator("log_level")
    @classmethod
    def _logging_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError(f"log_level '{value}' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        """psycopg 3 is the PostgreSQL driver; plain postgres:// URLs are rewritten to use it."""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError(
                f"database_url '{value}' is not supported; use sqlite:///path/to.db or postgresql://user@host/db"
            )
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
