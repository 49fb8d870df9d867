"""aimed-mcp settings (env prefix AIMED_MCP_), one cached instance per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMED_MCP_", extra="ignore", populate_by_name=True)

    api_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The public API: the proxy of `make run`, or the gateway itself.",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AIMED_MCP_TOKEN", "AIMED_TOKEN"),
        description="stdio: the learner's token. Over HTTP each request sends its own bearer token instead.",
    )
    timeout_s: float = Field(default=30.0, gt=0, description="Seconds to wait for the API on each call.")
    host: str = Field(default="127.0.0.1", description="`aimed-mcp http`: the address it listens on.")
    port: int = Field(
        default=8004, ge=1, le=65535, description="`aimed-mcp http`: its port (the proxy serves it at /mcp)."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
