"""aimed-mcp settings (env prefix AIMED_MCP_), one cached instance per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMED_MCP_", extra="ignore", populate_by_name=True)

    # The public API, as a browser reaches it: the proxy of `make run` (or the gateway itself).
    api_url: str = "http://127.0.0.1:8080"
    # stdio: the learner's token (the one `make run` prints). Over HTTP each request brings its
    # own `Authorization: Bearer` header instead, and this is ignored.
    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AIMED_MCP_TOKEN", "AIMED_TOKEN")
    )
    timeout_s: float = Field(default=30.0, gt=0)
    # Streamable HTTP (`aimed-mcp http`): where it listens; the proxy forwards /mcp to it.
    host: str = "127.0.0.1"
    port: int = Field(default=8004, ge=1, le=65535)


@lru_cache
def get_settings() -> Settings:
    return Settings()
