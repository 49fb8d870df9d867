"""Prefetch against the real scheduler, with a scripted generator (unit tests of the prefetcher).

The generator stand-in checks every request against the generator's own request
model and answers the gold card of the asked kind, when the test releases it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from aimed_contracts.cards import parse_card
from aimed_contracts.markdown import render_markdown
from aimed_contracts.scheduler_api import StudyItem
from aimed_gateway.config import Settings
from aimed_gateway.prefetch import Prefetcher
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_generator.models import CardRequest
from tests.gateway.services import Learner, gold_topic, grade_card, review_shown


class ScriptedGenerator:
    """Counts requests, validates them as the real generator would, answers when released."""

    name = "generator"

    def __init__(self) -> None:
        self.requests: list[CardRequest] = []
        self.release = asyncio.Event()

    async def post_json(self, path: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        assert path == "/v1/cards"
        request = CardRequest.model_validate(body)
        self.requests.append(request)
        await self.release.wait()
        kind = (
            "battlecard"
            if request.task == "battlecard"
            else "drill_mcq"
            if request.level == 1
            else "drill_open"
        )
        card = dict(gold_topic(0)["cards"][kind])
        if request.angle is not None:
            card["angle"] = request.angle.perspective
        return {
            "card": card,
            "markdown": render_markdown(parse_card(card)),
            "grounding_report": {"valid": True, "issues": []},
            "model_id": "scripted",
            "contexts_used": [{"index": 0, "id": request.contexts[0].id, "passages": None}],
        }


def _prefetcher(scheduler_url: str, generator: ScriptedGenerator, depth: int = 2) -> Prefetcher:
    settings = Settings(scheduler_url=scheduler_url, prefetch_depth=depth, generation_policy="flag")
    return Prefetcher(SchedulerClient(scheduler_url, 10), generator, settings)  # type: ignore[arg-type]


async def _next_items(prefetcher: Prefetcher, learner: Learner, limit: int = 1) -> list[StudyItem]:
    return await prefetcher.scheduler.next_items(str(learner.id), limit, {})


def test_one_generation_per_card_however_many_ask(scheduler_url: str, learner: Learner) -> None:
    topic = learner.add_topic()

    async def scenario() -> None:
        generator = ScriptedGenerator()
        prefetcher = _prefetcher(scheduler_url, generator)
        [item] = await _next_items(prefetcher, learner)
        tasks = [prefetcher.ensure(str(learner.id), item, "drill_mcq") for _ in range(3)]
        await prefetcher.fill(str(learner.id), {})
        await asyncio.sleep(0.2)
        assert len({id(t) for t in tasks}) == 1
        assert sorted(r.task for r in generator.requests) == ["battlecard", "drill"]
        generator.release.set()
        stored = await tasks[0]
        assert stored.kind == "drill_mcq"
        assert stored.context_ids == [topic["context_id"]]
        await asyncio.sleep(0.2)
        cards = await prefetcher.stored_cards(str(learner.id), item)
        assert sorted(cards) == ["battlecard", "drill_mcq"]
        # Everything is stored: asking again generates nothing.
        again = prefetcher.ensure(str(learner.id), item, "drill_mcq")
        assert (await again).id == stored.id
        assert len(generator.requests) == 2
        await prefetcher.scheduler.aclose()

    asyncio.run(scenario())


def test_fill_prefetches_the_next_k_items(scheduler_url: str, learner: Learner) -> None:
    for index in range(3):
        learner.add_topic(index, date_assigned=f"2020-01-0{index + 1}")

    async def scenario() -> None:
        generator = ScriptedGenerator()
        generator.release.set()
        prefetcher = _prefetcher(scheduler_url, generator, depth=2)
        await prefetcher.fill(str(learner.id), {})
        await asyncio.gather(*prefetcher.inflight.values())
        topics = {r.topic for r in generator.requests}
        assert topics == {gold_topic(0)["title"], gold_topic(1)["title"]}
        assert len(generator.requests) == 4
        await prefetcher.scheduler.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("depth", [2])
def test_a_fail_starts_the_variant_of_the_new_angle(
    scheduler_url: str, learner: Learner, gateway_factory: Any, depth: int
) -> None:
    topic = learner.add_topic()
    learner.store_card(topic, "battlecard")
    drill = learner.store_card(topic, "drill_mcq")
    gateway = gateway_factory(prefetch_depth=depth)
    generator = ScriptedGenerator()
    generator.release.set()
    gateway.app.state.prefetcher.generator = generator
    outcome = grade_card(gateway, learner, drill).json()
    angle = outcome["angle_created"]
    assert outcome["variant_generation"] == "started"
    after = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert after["status"] == "ready", after
    assert after["item"]["angle"]["id"] == angle["id"]
    variants = [r for r in generator.requests if r.task == "variant"]
    assert len(variants) == 1
    assert variants[0].angle is not None
    assert variants[0].angle.perspective == angle["perspective"]
    assert variants[0].angle.failed_question == drill["payload"]["question"]
    assert after["cards"][0]["payload"]["angle"] == angle["perspective"]


def test_the_failed_question_survives_a_gateway_restart(
    scheduler_url: str, learner: Learner, gateway_factory: Any
) -> None:
    topic = learner.add_topic()
    learner.store_card(topic, "battlecard")
    drill = learner.store_card(topic, "drill_mcq")
    gateway = gateway_factory(prefetch_depth=1)
    gateway.app.state.prefetcher.generator = None  # this gateway never generates
    gateway.app.state.prefetcher.note_generator(False)
    outcome = grade_card(gateway, learner, drill).json()
    angle = outcome["angle_created"]
    assert outcome["variant_generation"] == "unavailable"

    async def scenario() -> None:
        # A new process: nothing in memory, the scheduler is the only source.
        generator = ScriptedGenerator()
        generator.release.set()
        restarted = _prefetcher(scheduler_url, generator, depth=1)
        assert restarted.failed_questions == {}
        await restarted.fill(str(learner.id), {})
        await asyncio.gather(*restarted.inflight.values())
        [variant] = [r for r in generator.requests if r.task == "variant"]
        assert variant.angle is not None and variant.angle.perspective == angle["perspective"]
        assert variant.angle.failed_question == drill["payload"]["question"]
        await restarted.scheduler.aclose()

    asyncio.run(scenario())


def test_failed_questions_are_bounded(scheduler_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aimed_gateway.prefetch.MAX_FAILED_QUESTIONS", 3)
    prefetcher = _prefetcher(scheduler_url, ScriptedGenerator())
    for angle_id in range(1, 6):
        prefetcher.remember_failed_question("7", angle_id, f"¿Pregunta {angle_id}?")
    # The most recent are kept; an older one is read back from the scheduler when needed.
    assert prefetcher.failed_questions == {("7", str(i)): f"¿Pregunta {i}?" for i in (3, 4, 5)}
    asyncio.run(prefetcher.scheduler.aclose())


def test_a_review_starts_the_next_items_cards_without_reading_next_again(
    learner: Learner, gateway_factory: Any
) -> None:
    """Depth 1: `GET /study/next` prefetches nothing beyond the item it shows; once that item is
    reviewed, the next item's cards start at once, from the items that `next` already read."""
    for index in range(2):
        learner.add_topic(index, date_assigned=f"2020-01-0{index + 1}")
    gateway = gateway_factory(prefetch_depth=1)
    generator = ScriptedGenerator()
    generator.release.set()
    gateway.app.state.prefetcher.generator = generator
    next_reads: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/next"):
            next_reads.append(request)

    gateway.app.state.scheduler.client.event_hooks["request"].append(record)

    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert study["status"] == "ready", study
    assert {r.topic for r in generator.requests} == {gold_topic(0)["title"]}
    review = review_shown(gateway, learner, study)
    assert review.status_code == 200, review.text

    deadline = time.monotonic() + 5
    while len(generator.requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = [r for r in generator.requests if r.topic == gold_topic(1)["title"]]
    assert sorted(r.task for r in second) == ["battlecard", "drill"], generator.requests
    assert len(next_reads) == 1, [str(r.url) for r in next_reads]
