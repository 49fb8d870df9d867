"""The gateway's typed scheduler client against the real scheduler app, in process (ASGI), on SQLite.

Every answer comes back as the wire model of aimed_contracts.scheduler_api, and the
scheduler's own errors come back as the same typed error the learner sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aimed_contracts.cards import parse_card
from aimed_contracts.markdown import render_markdown
from aimed_contracts.scheduler_api import (
    CardCreate,
    CardKind,
    CardPublic,
    ItemType,
    ReviewCreate,
    StudyItem,
    card_kinds_for,
)
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.upstream import UpstreamError
from aimed_scheduler.config import Settings
from aimed_scheduler.main import create_app
from tests.gateway.services import gold_topic

T = TypeVar("T")
NOW = {"X-Aimed-Now": "2026-03-02T09:00:00+00:00"}


@pytest.fixture
def scheduler_app(tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'aimed.db'}", allow_clock_override=True))
    with TestClient(app):  # runs the lifespan: migrations, the engine
        yield app


@pytest.fixture
def run(scheduler_app: FastAPI) -> Callable[[Callable[[SchedulerClient], Awaitable[T]]], T]:
    """Runs a scenario with a client whose transport is the app itself."""

    def go(scenario: Callable[[SchedulerClient], Awaitable[T]]) -> T:
        async def main() -> T:
            client = SchedulerClient(
                "http://scheduler", 10.0, transport=httpx.ASGITransport(app=scheduler_app)
            )
            try:
                return await scenario(client)
            finally:
                await client.aclose()

        return asyncio.run(main())

    return go


async def _learner_with_topic(client: SchedulerClient) -> tuple[str, int, dict[str, Any]]:
    gold = gold_topic(0)
    learner = await client.create_learner("ana", "Europe/Madrid")
    assert (await client.read_learner(str(learner.id))).settings == await client.read_settings(
        str(learner.id)
    )
    learner_id = str(learner.id)
    topic = await client.create_topic(
        learner_id, {"title": gold["title"], "modulo": gold["modulo"], "date_assigned": "2026-03-01"}
    )
    context = await client.add_context(learner_id, topic.id, "Guía de prueba", gold["context"])
    assert context.topic_id == topic.id and context.text == gold["context"]
    return learner_id, topic.id, gold


async def _store(
    client: SchedulerClient, learner_id: str, item: StudyItem, gold: dict[str, Any], kind: CardKind
) -> CardPublic:
    card = gold["cards"][kind.value]
    return await client.store_card(
        learner_id,
        CardCreate(
            topic_id=item.topic.id,
            angle_id=item.angle.id if item.angle else None,
            kind=kind,
            level=card["level"],
            payload=card,
            markdown=render_markdown(parse_card(card)),
            model_id="gold-test",
        ),
    )


def test_the_study_loop_through_the_typed_client(run: Any) -> None:
    async def scenario(client: SchedulerClient) -> None:
        learner_id, topic_id, gold = await _learner_with_topic(client)
        [item] = await client.next_items(learner_id, 5, NOW)
        assert (item.item_type, item.item_id, item.reason) == (ItemType.TOPIC, topic_id, "new")
        assert (
            item.card_kinds
            == card_kinds_for("new", item.state.level)
            == [CardKind.BATTLECARD, CardKind.DRILL_MCQ]
        )
        assert item.next_states.fail.interval_minutes == 10
        battlecard = await _store(client, learner_id, item, gold, CardKind.BATTLECARD)
        drill = await _store(client, learner_id, item, gold, CardKind.DRILL_MCQ)
        unseen = await client.list_cards(
            learner_id, item_type=item.item_type, item_id=item.item_id, unreviewed=True
        )
        assert [c.id for c in unseen] == [battlecard.id, drill.id]
        assert (await client.read_card(learner_id, drill.id)).payload == drill.payload

        # By card: the scheduler finds the item and judges the choice itself.
        answer = drill.payload["answer_index"]
        wrong = (answer + 1) % len(drill.payload["options"])
        review = ReviewCreate(
            card_id=drill.id,
            grade="fail",
            chosen_option=wrong,
            idempotency_key="k-1",
            expected_version=item.state.version,
        )
        outcome = await client.record_review(learner_id, review, NOW)
        assert (outcome.item_type, outcome.item_id, outcome.replayed) == (ItemType.TOPIC, topic_id, False)
        assert (outcome.correct, outcome.correct_option) == (False, answer)
        assert outcome.question == drill.payload["question"]
        assert outcome.state.version == item.state.version + 1
        angle = outcome.angle_created
        assert angle is not None and angle.topic_id == topic_id
        again = await client.record_review(learner_id, review, NOW)
        assert again.replayed and again.review_id == outcome.review_id
        assert (again.correct, again.correct_option, again.question) == (False, answer, outcome.question)
        assert (await client.read_review(learner_id, outcome.review_id)).card_id == drill.id
        assert [c.id for c in await client.list_cards(learner_id, unreviewed=True)] == [battlecard.id]

        # The angle is the next item (due at once), an MCQ variant at level 1.
        [angle_item] = await client.next_items(learner_id, 1, NOW)
        assert (angle_item.item_type, angle_item.item_id) == (ItemType.ANGLE, angle.id)
        assert angle_item.card_kinds == [CardKind.DRILL_MCQ]
        assert (await client.list_angles(learner_id, topic_id=topic_id)).count == 1

        undone = await client.undo_review(learner_id, NOW)
        assert (undone.review_id, undone.angle_removed_id) == (outcome.review_id, angle.id)
        assert (await client.list_angles(learner_id)).count == 0
        assert (await client.list_topics(learner_id)).data[0].srs.version == undone.state.version

    run(scenario)


def test_a_review_by_card_is_checked_against_the_card(run: Any) -> None:
    async def scenario(client: SchedulerClient) -> list[tuple[int, str, str]]:
        learner_id, _, gold = await _learner_with_topic(client)
        [item] = await client.next_items(learner_id, 1, NOW)
        battlecard = await _store(client, learner_id, item, gold, CardKind.BATTLECARD)
        drill = await _store(client, learner_id, item, gold, CardKind.DRILL_MCQ)
        options = len(drill.payload["options"])
        refused = []
        for card_id, chosen in ((battlecard.id, None), (drill.id, options), (987654, None)):
            review = ReviewCreate(
                card_id=card_id,
                grade="good",
                chosen_option=chosen,
                idempotency_key=f"k-{card_id}-{chosen}",
                expected_version=item.state.version,
            )
            with pytest.raises(UpstreamError) as error:
                await client.record_review(learner_id, review, NOW)
            refused.append((error.value.status_code, error.value.error_type, error.value.message))
        # Nothing was recorded.
        assert (await client.next_items(learner_id, 1, NOW))[0].state.version == item.state.version
        return refused

    battlecard, out_of_range, unknown = run(scenario)
    assert battlecard[:2] == (422, "invalid_input") and "BattleCard" in battlecard[2]
    assert out_of_range[:2] == (422, "invalid_input") and "chosen_option" in out_of_range[2]
    assert unknown[:2] == (404, "not_found")


def test_a_review_by_item_keeps_its_old_form(run: Any) -> None:
    """Without a card the item is named and `correct` is stored as sent (the scheduler's own tests)."""

    async def scenario(client: SchedulerClient) -> None:
        learner_id, topic_id, _ = await _learner_with_topic(client)
        [item] = await client.next_items(learner_id, 1, NOW)
        review = ReviewCreate(
            item_type=ItemType.TOPIC,
            item_id=topic_id,
            grade="good",
            correct=True,
            idempotency_key="by-item",
            expected_version=item.state.version,
        )
        outcome = await client.record_review(learner_id, review, NOW)
        assert (outcome.item_id, outcome.correct, outcome.correct_option, outcome.question) == (
            topic_id,
            True,
            None,
            None,
        )
        half = review.model_copy(update={"item_id": None, "idempotency_key": "half"})
        with pytest.raises(UpstreamError) as error:
            await client.record_review(learner_id, half, NOW)
        assert error.value.status_code == 422

    run(scenario)
