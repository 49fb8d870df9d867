"""With the generator down: stored cards still serve, reviews still record, responses say what is missing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.gateway.services import Learner, grade_card


def test_stored_cards_serve_and_missing_ones_are_named(gateway: TestClient, learner: Learner) -> None:
    ready = learner.add_topic(0, date_assigned="2020-01-01")
    learner.store_card(ready, "battlecard")
    drill = learner.store_card(ready, "drill_mcq")
    learner.add_topic(1)
    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert study["status"] == "ready"
    assert study["item"]["topic"]["id"] == ready["id"]
    review = grade_card(gateway, learner, drill, "good")
    assert review.status_code == 200, review.text
    assert review.json()["replayed"] is False
    missing = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert missing["status"] == "generation_unavailable"
    assert missing["item"]["topic"]["title"] != ready["title"]
    assert missing["missing"] == ["battlecard", "drill_mcq"]
    assert missing["generation_available"] is False
    assert "no está disponible" in missing["message"]
    assert "la BattleCard y el caso clínico de opción múltiple" in missing["message"]
    assert missing["detail"][0]["type"] == "generator_unavailable"
    model = gateway.get("/api/v1/model/status", headers=learner.headers).json()
    assert model["available"] is False
    stats = gateway.get("/api/v1/stats", headers=learner.headers).json()
    assert stats["reviews_total"] == 1
    assert stats["generation_available"] is False


def test_a_topic_without_context_says_to_add_one(gateway: TestClient, learner: Learner) -> None:
    learner.add_topic(with_context=False)
    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert study["status"] == "generation_failed"
    assert "no tiene contexto" in study["message"]
    assert study["detail"][0]["type"] == "topic_without_context"


def test_nothing_to_study_is_done(gateway: TestClient, learner: Learner) -> None:
    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    assert study["status"] == "done"
    assert study["item"] is None
