"""The error contract every service shares, against a real scheduler process (uvicorn).

A 500 must leave the connection usable (a pooled client would otherwise meet a socket
the server is closing and report a live service as down); a body that cannot be read
is the documented 422; a wrong method names every method the path takes.
"""

from __future__ import annotations

import asyncio
import http.client
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from aimed_contracts.errors import Unavailable
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.upstream import UpstreamError
from tests.support.process import ServiceProcess


@dataclass
class BrokenScheduler:
    """A real scheduler whose contexts table is gone: that route fails with a 500, the rest work."""

    url: str
    port: int
    learner_id: int
    topic_id: int

    @property
    def broken_path(self) -> str:
        return f"/v1/learners/{self.learner_id}/topics/{self.topic_id}/contexts"

    @property
    def working_path(self) -> str:
        return f"/v1/learners/{self.learner_id}"


@pytest.fixture(scope="module")
def broken_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokenScheduler]:
    database = tmp_path_factory.mktemp("broken") / "aimed.db"
    service = ServiceProcess(
        "aimed_scheduler.main:create_app", {"AIMED_SCHEDULER_DATABASE_URL": f"sqlite:///{database}"}
    ).start()
    try:
        learner = httpx.post(f"{service.url}/v1/learners", json={"name": "ana"}).raise_for_status().json()
        topic = httpx.post(
            f"{service.url}/v1/learners/{learner['id']}/topics",
            json={"title": "Sepsis", "modulo": "urgencias"},
        )
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TABLE contexts")
        yield BrokenScheduler(service.url, service.port, learner["id"], topic.raise_for_status().json()["id"])
    finally:
        service.stop()


def test_a_500_is_the_envelope_and_the_connection_stays_open(broken_scheduler: BrokenScheduler) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", broken_scheduler.port, timeout=10)
    connection.request("GET", broken_scheduler.broken_path)
    failed = connection.getresponse()
    assert failed.status == 500
    assert b'"internal_error"' in failed.read()
    # The same socket: uvicorn closes it if the app re-raised after answering.
    connection.request("GET", broken_scheduler.working_path)
    after = connection.getresponse()
    assert after.status == 200
    assert b'"ana"' in after.read()
    connection.close()


def test_a_live_scheduler_is_never_reported_down_after_its_500s(broken_scheduler: BrokenScheduler) -> None:
    async def mixed_run(rounds: int) -> list[str]:
        scheduler = SchedulerClient(broken_scheduler.url, 10.0)
        outcomes = []
        try:
            for _ in range(rounds):
                with pytest.raises(UpstreamError) as failed:
                    await scheduler.get_json(broken_scheduler.broken_path)
                assert failed.value.status_code == 502
                try:
                    await scheduler.get_json(broken_scheduler.working_path)
                    outcomes.append("ok")
                except Unavailable as exc:
                    outcomes.append(exc.error_type)
        finally:
            await scheduler.aclose()
        return outcomes

    outcomes = asyncio.run(mixed_run(300))
    assert outcomes.count("ok") == 300, {o: outcomes.count(o) for o in set(outcomes)}


def invalid_input_error(broken_scheduler: BrokenScheduler, body: bytes) -> dict[str, Any]:
    """POSTs `body` as JSON; asserts the documented 422 `invalid_input` and returns its error."""
    response = httpx.post(
        f"{broken_scheduler.url}/v1/learners", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_input"
    return error


def test_a_body_that_is_not_utf8_is_the_documented_422(broken_scheduler: BrokenScheduler) -> None:
    error = invalid_input_error(broken_scheduler, b'{"name": "\xff\xfe"}')
    assert "UTF-8" in error["message"]
    assert error["detail"][0]["loc"] == ["body"]


def test_malformed_json_is_the_documented_422(broken_scheduler: BrokenScheduler) -> None:
    invalid_input_error(broken_scheduler, b'{"name": ')


@pytest.mark.parametrize("method", ["OPTIONS", "PUT"])
def test_a_wrong_method_names_every_method_of_the_path(
    broken_scheduler: BrokenScheduler, method: str
) -> None:
    path = f"{broken_scheduler.url}/v1/learners/{broken_scheduler.learner_id}/topics"
    response = httpx.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    error = response.json()["error"]
    assert error["type"] == "method_not_allowed"
    assert error["detail"] == {"allowed": ["GET", "POST"]}
    assert "use GET, POST" in error["message"]


def test_an_unknown_path_is_404_not_405(broken_scheduler: BrokenScheduler) -> None:
    response = httpx.request("OPTIONS", f"{broken_scheduler.url}/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
