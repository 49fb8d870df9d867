"""Fixtures: a real scheduler process (SQLite), a gateway app on it, learners with tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aimed_gateway.config import Settings
from aimed_gateway.main import create_app
from aimed_gateway.tokens import TokenStore
from tests.gateway.services import Learner
from tests.support.llama import free_port
from tests.support.process import ServiceProcess


@pytest.fixture(scope="session")
def scheduler_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("scheduler")
    service = ServiceProcess(
        "aimed_scheduler.main:create_app",
        {
            "AIMED_SCHEDULER_DATABASE_URL": f"sqlite:///{folder / 'aimed.db'}",
            "AIMED_SCHEDULER_ALLOW_CLOCK_OVERRIDE": "true",
        },
    ).start()
    yield service.url
    service.stop()


@pytest.fixture
def dead_url() -> str:
    """A URL where nothing listens: the generator is down."""
    return f"http://127.0.0.1:{free_port()}"


GatewayFactory = Callable[..., TestClient]


@pytest.fixture
def gateway_factory(tmp_path: Path, scheduler_url: str, dead_url: str) -> Iterator[GatewayFactory]:
    """Builds gateway TestClients; by default the generator is down and the clock override is on."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        values: dict[str, object] = {
            "scheduler_url": scheduler_url,
            "generator_url": dead_url,
            "token_db_path": tmp_path / "tokens.db",
            "allow_clock_override": True,
            "next_wait_s": 2.0,
            **overrides,
        }
        client = TestClient(create_app(Settings(**values)))  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def gateway(gateway_factory: GatewayFactory) -> TestClient:
    return gateway_factory()


@pytest.fixture
def tokens(tmp_path: Path) -> TokenStore:
    return TokenStore(tmp_path / "tokens.db")


@pytest.fixture
def learner(scheduler_url: str, tokens: TokenStore) -> Learner:
    return Learner(scheduler_url, tokens, "ana")


@pytest.fixture
def other_learner(scheduler_url: str, tokens: TokenStore) -> Learner:
    return Learner(scheduler_url, tokens, "otro")
