"""The internal trust boundary: a scheduler and a generator given AIMED_INTERNAL_TOKEN answer
only callers that send it (health stays open); the gateway sends it; unset, nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from aimed_gateway.config import Settings as GatewaySettings
from aimed_gateway.main import create_app as create_gateway
from aimed_gateway.tokens import TokenStore
from aimed_generator.config import Settings as GeneratorSettings
from aimed_generator.main import create_app as create_generator
from tests.support.llama import free_port
from tests.support.process import ServiceProcess

SECRET = "s3cret-internal-token-for-tests"


@pytest.fixture(scope="module")
def guarded_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("guarded") / "aimed.db"
    service = ServiceProcess(
        "aimed_scheduler.main:create_app",
        {"AIMED_SCHEDULER_DATABASE_URL": f"sqlite:///{database}", "AIMED_INTERNAL_TOKEN": SECRET},
    ).start()
    yield service.url
    service.stop()


@pytest.mark.parametrize(
    ("headers", "problem"),
    [({}, "no X-Internal-Token"), ({"X-Internal-Token": "wrong"}, "a wrong X-Internal-Token")],
)
def test_the_scheduler_refuses_callers_without_the_token(
    guarded_scheduler: str, headers: dict[str, str], problem: str
) -> None:
    response = httpx.post(f"{guarded_scheduler}/v1/learners", json={"name": "intruso"}, headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "unauthorized"
    assert problem in error["message"]
    listed = httpx.get(f"{guarded_scheduler}/openapi.json", headers=headers)
    assert listed.status_code == 401


def test_the_scheduler_answers_the_token_and_keeps_health_open(guarded_scheduler: str) -> None:
    created = httpx.post(
        f"{guarded_scheduler}/v1/learners", json={"name": "ana"}, headers={"X-Internal-Token": SECRET}
    )
    assert created.status_code == 201, created.text
    assert httpx.get(f"{guarded_scheduler}/health").status_code == 200


def test_the_gateway_sends_the_token(guarded_scheduler: str, tmp_path: Path) -> None:
    learner = httpx.post(
        f"{guarded_scheduler}/v1/learners", json={"name": "ana"}, headers={"X-Internal-Token": SECRET}
    ).json()
    tokens = TokenStore(tmp_path / "tokens.db")
    headers = {"Authorization": f"Bearer {tokens.issue(str(learner['id']))}"}
    common = {"scheduler_url": guarded_scheduler, "generator_url": f"http://127.0.0.1:{free_port()}"}
    with TestClient(
        create_gateway(GatewaySettings(token_db_path=tmp_path / "tokens.db", internal_token=SECRET, **common))
    ) as gateway:
        me = gateway.get("/api/v1/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "ana"
    with TestClient(
        create_gateway(GatewaySettings(token_db_path=tmp_path / "tokens.db", **common))
    ) as gateway:
        refused = gateway.get("/api/v1/me", headers=headers)
        # Not the learner's 401: their token is fine, the deployment is not.
        assert refused.status_code == 502
        assert "AIMED_INTERNAL_TOKEN" in refused.json()["error"]["message"]


def test_the_generator_refuses_callers_without_the_token() -> None:
    settings = GeneratorSettings(llm_base_url=f"http://127.0.0.1:{free_port()}", internal_token=SECRET)
    with TestClient(create_generator(settings)) as generator:
        assert generator.get("/v1/schema").status_code == 401
        assert generator.get("/v1/schema", headers={"X-Internal-Token": "wrong"}).status_code == 401
        assert generator.get("/v1/schema", headers={"X-Internal-Token": SECRET}).status_code == 200
        assert generator.get("/health").status_code == 200


def test_without_a_token_every_caller_is_trusted() -> None:
    settings = GeneratorSettings(llm_base_url=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_generator(settings)) as generator:
        assert generator.get("/v1/schema").status_code == 200
