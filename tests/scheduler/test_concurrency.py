"""Concurrent submits against two real scheduler processes sharing one database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx
import pytest

from tests.scheduler.server import SchedulerProcess

NOW = {"X-Aimed-Now": "2026-03-02T08:00:00+00:00"}


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[SchedulerProcess]]:
    first = SchedulerProcess(database_url, tmp_path / "a.log").start()
    second = SchedulerProcess(database_url, tmp_path / "b.log").start()
    yield [first, second]
    first.stop()
    second.stop()


def _fire(servers: list[SchedulerProcess], path: str, bodies: list[dict]) -> list[httpx.Response]:
    barrier = Barrier(len(bodies))

    def send(index: int) -> httpx.Response:
        server = servers[index % len(servers)]
        with httpx.Client(base_url=server.url, headers=NOW, timeout=30) as client:
            barrier.wait()
            return client.post(path, json=bodies[index])

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, range(len(bodies))))


def _setup(server: SchedulerProcess) -> tuple[int, int]:
    with httpx.Client(base_url=server.url, headers=NOW) as client:
        lid = client.post("/v1/learners", json={"name": "Ana"}).json()["id"]
        tid = client.post(f"/v1/learners/{lid}/topics", json={"title": "Sepsis", "modulo": "UCI"}).json()[
            "id"
        ]
    return lid, tid


@pytest.mark.slow
def test_concurrent_double_submit_records_exactly_one_review(servers: list[SchedulerProcess]) -> None:
    lid, tid = _setup(servers[0])
    body = {
        "item_type": "topic",
        "item_id": tid,
        "grade": "fail",
        "idempotency_key": "tap",
        "expected_version": 1,
    }
    responses = _fire(servers, f"/v1/learners/{lid}/reviews", [body] * 8)
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    outcomes = [r.json() for r in responses]
    assert len({o["review_id"] for o in outcomes}) == 1
    assert sorted(o["replayed"] for o in outcomes) == [False] + [True] * 7
    assert len({o["angle_created"]["id"] for o in outcomes}) == 1
    backup = httpx.get(f"{servers[1].url}/v1/learners/{lid}/backup").json()
    assert len(backup["reviews"]) == 1
    assert len(backup["angles"]) == 1
    topic_state = next(s for s in backup["srs_states"] if s["angle_id"] is None)
    assert (topic_state["version"], topic_state["lapses"]) == (2, 1)


@pytest.mark.slow
def test_concurrent_answers_with_different_keys_let_exactly_one_win(servers: list[SchedulerProcess]) -> None:
    lid, tid = _setup(servers[0])
    bodies = [
        {
            "item_type": "topic",
            "item_id": tid,
            "grade": "good",
            "idempotency_key": f"k{i}",
            "expected_version": 1,
        }
        for i in range(6)
    ]
    responses = _fire(servers, f"/v1/learners/{lid}/reviews", bodies)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 5, [r.text for r in responses]
    assert all(r.json()["error"]["type"] == "stale_version" for r in responses if r.status_code == 409)
    backup = httpx.get(f"{servers[1].url}/v1/learners/{lid}/backup").json()
    assert len(backup["reviews"]) == 1
    assert next(s for s in backup["srs_states"] if s["angle_id"] is None)["repetitions"] == 1
