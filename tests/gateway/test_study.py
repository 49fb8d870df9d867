"""The study loop through the gateway: next, reviews (idempotent, MCQ outcome, angles), undo, clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from aimed_gateway.study import interval_label
from tests.gateway.conftest import GatewayFactory
from tests.gateway.services import Learner, idempotency_key


def _next(gateway: TestClient, learner: Learner, **headers: str) -> dict[str, Any]:
    response = gateway.get("/api/v1/study/next", headers={**learner.headers, **headers})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _review(gateway: TestClient, learner: Learner, study: dict[str, Any], grade: str, **extra: Any) -> Any:
    body = {
        "card_id": study["card_to_grade_id"],
        "grade": grade,
        "state_version": study["item"]["state"]["version"],
        "idempotency_key": idempotency_key(),
        **extra,
    }
    return gateway.post(
        "/api/v1/study/reviews", json=body, headers={**learner.headers, **extra.pop("headers", {})}
    )


def test_new_topic_serves_battlecard_then_drill_with_grade_previews(
    gateway: TestClient, learner: Learner
) -> None:
    topic, battlecard, drill = learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    assert study["status"] == "ready"
    assert study["item"]["reason"] == "new"
    assert study["item"]["topic"]["title"] == topic["title"]
    assert [c["kind"] for c in study["cards"]] == ["battlecard", "drill_mcq"]
    assert [c["id"] for c in study["cards"]] == [battlecard["id"], drill["id"]]
    assert study["card_to_grade_id"] == drill["id"]
    assert study["cards"][1]["markdown"].startswith("# Drill")
    previews = study["grade_previews"]
    assert [p["grade"] for p in previews] == ["fail", "hard", "good", "easy"]
    assert previews[0]["interval_minutes"] == 10
    assert previews[0]["label"] == "10 min"
    assert previews[1]["label"] == "1 d"
    assert all(p["label"] == interval_label(p["interval_minutes"]) for p in previews)


def test_interval_labels() -> None:
    assert [interval_label(m) for m in (10, 90, 1440, 6 * 1440, 100 * 1440, 800 * 1440)] == [
        "10 min",
        "2 h",
        "1 d",
        "6 d",
        "3,3 meses",
        "2,2 años",
    ]


def test_mcq_review_says_whether_the_choice_was_right_and_is_idempotent(
    gateway: TestClient, learner: Learner
) -> None:
    topic, _, drill = learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    right = drill["payload"]["answer_index"]
    body = {
        "card_id": drill["id"],
        "grade": "good",
        "state_version": study["item"]["state"]["version"],
        "idempotency_key": idempotency_key(),
        "chosen_option": right,
        "duration_ms": 12_000,
    }
    first = gateway.post("/api/v1/study/reviews", json=body, headers=learner.headers)
    assert first.status_code == 200, first.text
    outcome = first.json()
    assert outcome["correct"] is True
    assert outcome["correct_option"] == right
    assert outcome["replayed"] is False
    assert outcome["item_type"] == "topic"
    assert outcome["item_id"] == topic["id"]
    assert outcome["state"]["interval_days"] == 1
    assert outcome["state"]["level"] == 1
    assert outcome["state"]["mastered"] is False
    assert outcome["angle_created"] is None
    again = gateway.post("/api/v1/study/reviews", json=body, headers=learner.headers)
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["review_id"] == outcome["review_id"]
    assert again.json()["state"] == outcome["state"]
    stats = gateway.get("/api/v1/stats", headers=learner.headers).json()
    assert stats["reviews_total"] == 1


def test_wrong_option_is_reported_and_out_of_range_is_refused(gateway: TestClient, learner: Learner) -> None:
    _, _, drill = learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    n_options = len(drill["payload"]["options"])
    wrong = (drill["payload"]["answer_index"] + 1) % n_options
    refused = _review(gateway, learner, study, "fail", chosen_option=n_options)
    assert refused.status_code == 422
    assert "chosen_option" in refused.json()["error"]["message"]
    outcome = _review(gateway, learner, study, "fail", chosen_option=wrong)
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["correct"] is False


def test_stale_state_version_is_a_conflict_and_writes_nothing(gateway: TestClient, learner: Learner) -> None:
    learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    stale = {**study, "item": {**study["item"], "state": {**study["item"]["state"], "version": 99}}}
    response = _review(gateway, learner, stale, "good")
    assert response.status_code == 409
    assert gateway.get("/api/v1/stats", headers=learner.headers).json()["reviews_total"] == 0


def test_a_battlecard_is_not_graded(gateway: TestClient, learner: Learner) -> None:
    _, battlecard, _ = learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    response = _review(gateway, learner, {**study, "card_to_grade_id": battlecard["id"]}, "good")
    assert response.status_code == 422
    assert "BattleCard" in response.json()["error"]["message"]


def test_fail_creates_an_angle_served_next_and_undo_removes_it(gateway: TestClient, learner: Learner) -> None:
    topic, _, _ = learner.add_topic_with_first_cards()
    study = _next(gateway, learner)
    failed = _review(gateway, learner, study, "fail")
    assert failed.status_code == 200, failed.text
    outcome = failed.json()
    angle = outcome["angle_created"]
    assert angle is not None
    assert angle["topic_id"] == topic["id"]
    assert angle["label"].startswith("Sub-nodo")
    assert outcome["variant_generation"] in ("started", "already_running", "unavailable")
    assert outcome["state"]["interval_minutes"] == 10
    angles = gateway.get("/api/v1/angles", headers=learner.headers).json()
    assert [a["id"] for a in angles["data"]] == [angle["id"]]
    # The variant card, once stored, is what `next` serves for the angle (due at once).
    variant = learner.store_card(topic, "drill_mcq", angle_id=angle["id"])
    after = _next(gateway, learner)
    assert after["status"] == "ready"
    assert after["item"]["item_type"] == "angle"
    assert after["item"]["angle"]["id"] == angle["id"]
    assert after["card_to_grade_id"] == variant["id"]
    undone = gateway.post("/api/v1/study/undo", headers=learner.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["review_id"] == outcome["review_id"]
    assert undone.json()["angle_removed_id"] == angle["id"]
    before, restored = study["item"]["state"], undone.json()["state"]
    # Undo writes a new version (so a client holding the failed state gets a 409), with the old values.
    assert restored["version"] > before["version"]
    for field in ("ease_factor", "interval_minutes", "repetitions", "lapses", "due_at", "level"):
        assert restored[field] == before[field], field
    assert gateway.get("/api/v1/angles", headers=learner.headers).json()["count"] == 0
    nothing = gateway.post("/api/v1/study/undo", headers=learner.headers)
    assert nothing.status_code in (404, 409)


def test_clock_override_is_forwarded_only_when_enabled(
    gateway_factory: GatewayFactory, learner: Learner
) -> None:
    learner.add_topic_with_first_cards()
    gateway = gateway_factory(allow_clock_override=True)
    study = _next(gateway, learner)
    assert _review(gateway, learner, study, "good").status_code == 200
    assert _next(gateway, learner)["status"] == "done"
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    due = _next(gateway, learner, **{"X-Aimed-Now": later})
    assert due["item"]["reason"] == "due"
    assert due["item"]["card_kinds"] == ["drill_mcq"]
    closed = gateway_factory(allow_clock_override=False)
    refused = closed.get("/api/v1/study/next", headers={**learner.headers, "X-Aimed-Now": later})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "clock_override_disabled"
