"""Gateway settings (env prefix AIMED_GATEWAY_), one cached instance per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMED_GATEWAY_", extra="ignore", populate_by_name=True)

    scheduler_url: str = "http://127.0.0.1:8002"
    generator_url: str = "http://127.0.0.1:8003"
    # Learner tokens (hashed) live in the gateway's own small SQLite file: they are
    # credentials, not study state, and the scheduler never needs to see them.
    token_db_path: Path = Path("var/data/gateway-tokens.db")
    prefetch_depth: int = Field(default=2, ge=0, le=10)
    generation_policy: Literal["strict", "flag"] = "strict"
    allow_clock_override: bool = False
    scheduler_timeout_s: float = Field(default=15.0, gt=0)
    generator_timeout_s: float = Field(default=180.0, gt=0)
    # How long GET /study/next waits for an on-demand card before answering "generating".
    next_wait_s: float = Field(default=8.0, ge=0)
    retry_after_s: float = Field(default=3.0, gt=0)
    generation_max_tokens: int | None = Field(default=None, ge=64)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # Guideline PDFs (POST /api/v1/guidelines/preview); the proxy's API body limit (11m) fits it.
    max_pdf_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_pdf_pages: int = Field(default=300, ge=1)
    log_level: str = "INFO"
    internal_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AIMED_INTERNAL_TOKEN", "AIMED_GATEWAY_INTERNAL_TOKEN"),
        description="Shared secret sent as `X-Internal-Token` to the scheduler and the generator, "
        "which refuse calls without it when they have one (docs/scaling.md).",
    )

    @property
    def internal_token_value(self) -> str | None:
        return self.internal_token.get_secret_value() if self.internal_token else None


@lru_cache
def get_settings() -> Settings:
    return Settings()
