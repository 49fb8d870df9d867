"""FSRS through the public API (gateway on a real scheduler process): the setting, grade
previews for both algorithms, a review, switching back and forth, bad values."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.gateway.services import Learner, grade_card


def _labels(gateway: TestClient, learner: Learner) -> list[str]:
    study = gateway.get("/api/v1/study/next", headers=learner.headers).json()
    return [p["label"] for p in study["grade_previews"]]


def _patch(gateway: TestClient, learner: Learner, **fields: Any) -> Any:
    return gateway.patch("/api/v1/settings", json=fields, headers=learner.headers)


def test_settings_switch_algorithm_and_previews_follow(gateway: TestClient, learner: Learner) -> None:
    settings = gateway.get("/api/v1/settings", headers=learner.headers).json()
    assert (settings["algorithm"], settings["desired_retention"]) == ("sm2", 0.9)
    _, _, drill = learner.add_topic_with_first_cards()
    sm2 = _labels(gateway, learner)
    assert sm2 == ["10 min", "1 d", "1 d", "1 d"]

    changed = _patch(gateway, learner, algorithm="fsrs", desired_retention=0.9)
    assert changed.status_code == 200, changed.text
    assert changed.json()["algorithm"] == "fsrs"
    fsrs = _labels(gateway, learner)
    assert fsrs == ["10 min", "15 min", "2 d", "8 d"]

    review = grade_card(gateway, learner, drill, "good")
    assert review.status_code == 200, review.text
    state = review.json()["state"]
    assert state["interval_days"] == 2
    assert state["fsrs_phase"] == "review"
    assert state["ease_factor"] == 2.5

    assert _patch(gateway, learner, algorithm="sm2").json()["algorithm"] == "sm2"
    topics = gateway.get("/api/v1/topics", headers=learner.headers).json()["data"]
    assert topics[0]["srs"]["ease_factor"] == 2.5


def test_bad_fsrs_values_are_422_and_change_nothing(gateway: TestClient, learner: Learner) -> None:
    before = gateway.get("/api/v1/settings", headers=learner.headers).json()
    for body in ({"algorithm": "anki"}, {"desired_retention": 0.5}, {"desired_retention": "mucha"}):
        response = _patch(gateway, learner, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["message"]
    assert gateway.get("/api/v1/settings", headers=learner.headers).json() == before
