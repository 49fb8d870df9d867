"""What one study step costs the scheduler: the gateway's calls counted on the wire.

A step is what the UI does for one card: GET /study/next, then POST /study/reviews. The
learner has two new topics whose cards are all stored (prefetch depth 2, nothing to
generate), and the count includes the background prefetch the step starts.

Measured with this very test on the code before the typed scheduler client (commit 524a199,
PYTHONPATH on a worktree of it): 9 calls, `/next` 3 times, the first topic's cards twice and
the second's twice: GET next?limit=1, its cards, the prefetch's next?limit=2 and the cards of
both items; then GET cards/{id} (the pre-read), POST reviews, the prefetch's next?limit=2 and
the second item's cards again. Now: 4 calls, GET next?limit=3 (the prefetch window: K + 1
items), the cards of each item once, POST reviews; the fill after the review works on that
window and reads nothing it already knows.
"""

from __future__ import annotations

import time
from collections import Counter

import httpx
from fastapi.testclient import TestClient

from tests.gateway.conftest import GatewayFactory
from tests.gateway.services import Learner, review_shown

CALLS_BEFORE = 9
CALLS_NOW = 4


def _count_scheduler_calls(gateway: TestClient) -> list[httpx.Request]:
    """Every request the gateway sends the scheduler from now on, in order."""
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    gateway.app.state.scheduler.client.event_hooks["request"].append(record)  # type: ignore[attr-defined]
    return seen


def _settled(seen: list[httpx.Request], quiet_s: float = 0.5, limit_s: float = 10.0) -> list[httpx.Request]:
    """The requests once the background prefetch has stopped sending any for `quiet_s`."""
    deadline = time.monotonic() + limit_s
    count, since = len(seen), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if len(seen) != count:
            count, since = len(seen), time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return list(seen)


def _describe(request: httpx.Request) -> str:
    path = request.url.path.split("/", 4)[-1]  # after /v1/learners/{id}/
    return (
        f"{request.method} {path}?{request.url.query.decode()}"
        if request.url.query
        else f"{request.method} {path}"
    )


def test_one_study_step_costs_four_scheduler_calls(gateway_factory: GatewayFactory, learner: Learner) -> None:
    topics = [learner.add_topic(index, date_assigned=f"2020-01-0{index + 1}") for index in range(2)]
    for topic in topics:
        learner.store_card(topic, "battlecard")
        learner.store_card(topic, "drill_mcq")
    gateway = gateway_factory(prefetch_depth=2)
    seen = _count_scheduler_calls(gateway)

    study = gateway.get("/api/v1/study/next", headers=learner.headers)
    assert study.status_code == 200, study.text
    assert study.json()["status"] == "ready"
    review = review_shown(gateway, learner, study.json())
    assert review.status_code == 200, review.text

    calls = [_describe(r) for r in _settled(seen)]
    paths = Counter(call.split("?")[0] for call in calls)
    assert paths["GET next"] == 1, calls
    assert paths["GET cards"] == 2, calls  # one read per item: the one shown and the one prefetched
    assert not any(call.startswith("GET cards/") for call in calls), calls  # no pre-read of the card
    assert len(calls) == CALLS_NOW < CALLS_BEFORE, calls
