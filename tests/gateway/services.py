"""Real service processes and test data for the gateway tests.

The scheduler and the generator run as real uvicorn processes (SQLite on a temp
file); the gateway runs in-process (TestClient) so tests can reach its prefetcher.
Cards are the gold cards of training/data/gold, valid against the card contract.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from aimed_contracts.cards import parse_card
from aimed_contracts.markdown import render_markdown
from aimed_gateway.tokens import TokenStore
from tests.support.llama import REPO

GOLD = REPO / "training/data/gold/endocrinologia.jsonl"


def gold_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_topic(index: int = 0) -> dict[str, Any]:
    """The index-th gold topic: title, modulo, context and its cards by kind."""
    topics: dict[str, dict[str, Any]] = {}
    for row in gold_rows():
        entry = topics.setdefault(
            row["tema"],
            {"title": row["tema"], "modulo": row["modulo"], "context": row["contexto_mcp"], "cards": {}},
        )
        entry["cards"][row["casos_generados"]["kind"]] = row["casos_generados"]
    return list(topics.values())[index]


class Learner:
    """A learner in the real scheduler with a gateway token; helpers to seed its data."""

    def __init__(self, scheduler_url: str, tokens: TokenStore, name: str = "test") -> None:
        self.scheduler_url = scheduler_url
        response = httpx.post(f"{scheduler_url}/v1/learners", json={"name": name}, timeout=10)
        response.raise_for_status()
        self.id = int(response.json()["id"])
        self.token = tokens.issue(str(self.id))
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def _path(self, suffix: str) -> str:
        return f"{self.scheduler_url}/v1/learners/{self.id}{suffix}"

    def add_topic(self, gold_index: int = 0, with_context: bool = True, **fields: Any) -> dict[str, Any]:
        gold = gold_topic(gold_index)
        body = {"title": gold["title"], "modulo": gold["modulo"], "priority": 1, **fields}
        topic = httpx.post(self._path("/topics"), json=body, timeout=10)
        topic.raise_for_status()
        created: dict[str, Any] = topic.json()
        if with_context:
            context = httpx.post(
                self._path(f"/topics/{created['id']}/contexts"),
                json={"source_label": "Guía de prueba", "text": gold["context"]},
                timeout=10,
            )
            context.raise_for_status()
            created["context_id"] = context.json()["id"]
        created["gold"] = gold
        return created

    def add_topic_with_first_cards(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """A new topic with the cards of its first study step stored: (topic, BattleCard, drill)."""
        topic = self.add_topic()
        return topic, self.store_card(topic, "battlecard"), self.store_card(topic, "drill_mcq")

    def store_card(
        self,
        topic: dict[str, Any],
        kind: str,
        angle_id: int | None = None,
        payload: dict[str, Any] | None = None,
        grounding_report: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Stores a generated card as the prefetcher would (the gold card of that kind; gate passed)."""
        card = dict(payload or topic["gold"]["cards"][kind])
        if angle_id is not None:
            card["angle"] = "complicaciones"
        body = {
            "topic_id": topic["id"],
            "angle_id": angle_id,
            "kind": kind,
            "level": card["level"],
            "payload": card,
            "markdown": render_markdown(parse_card(card)),
            "context_ids": [topic["context_id"]] if "context_id" in topic else [],
            "model_id": "gold-test",
            "grounding_report": grounding_report or {"valid": True, "issues": []},
        }
        response = httpx.post(self._path("/cards"), json=body, timeout=10)
        response.raise_for_status()
        stored: dict[str, Any] = response.json()
        return stored


def idempotency_key() -> str:
    return uuid.uuid4().hex


def review_shown(
    gateway: Any, learner: Learner, study: dict[str, Any], grade: str = "good", **answer: Any
) -> httpx.Response:
    """Grades what a `GET /study/next` answer shows (its `card_to_grade_id`, unless `answer` names
    another `card_id`), at the state version it shows."""
    return gateway.post(  # type: ignore[no-any-return]
        "/api/v1/study/reviews",
        json={
            "card_id": study["card_to_grade_id"],
            "grade": grade,
            "state_version": study["item"]["state"]["version"],
            "idempotency_key": idempotency_key(),
            **answer,
        },
        headers=learner.headers,
    )


def grade_card(
    gateway: Any, learner: Learner, card: dict[str, Any], grade: str = "fail", **answer: Any
) -> httpx.Response:
    """Grades `card` through the public API, at the state version `next` shows (a fresh client)."""
    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    return review_shown(gateway, learner, study, grade, card_id=card["id"], **answer)
