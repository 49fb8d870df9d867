"""Fixtures shared by every suite: real llama-server, real databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import postgres_database, sqlite_url
from tests.support.llama import LlamaServer


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """One llama-server on the demo GGUF for the whole session (2 slots of 4,096 tokens)."""
    server = LlamaServer(ctx_size=8192, parallel=2).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind; tests using it run once per database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_database() as url:
            yield url
