"""Public API input rules: a refused edit stores nothing, ids past the id columns and numbers as
dates are 422 with the error envelope, never a 5xx (gateway in-process, real scheduler on SQLite)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aimed_contracts.fields import MAX_ROW_ID
from tests.gateway.services import Learner, idempotency_key

BEYOND = [MAX_ROW_ID + 1, 2**63, 2**64]


@pytest.mark.parametrize("blank", [" ", "\u00a0", "", "\u2003\t"])
def test_a_blank_modulo_or_title_edit_is_422_and_changes_nothing(
    gateway: TestClient, learner: Learner, blank: str
) -> None:
    h = learner.headers
    topic = learner.add_topic(with_context=False)
    for field in ("modulo", "title"):
        response = gateway.patch(f"/api/v1/topics/{topic['id']}", json={field: blank}, headers=h)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "invalid_input" and field in error["message"]
    listed = gateway.get("/api/v1/topics", headers=h)
    assert listed.status_code == 200
    assert [(t["title"], t["modulo"]) for t in listed.json()["data"]] == [(topic["title"], topic["modulo"])]
    assert gateway.get("/api/v1/export/anki", headers=h).status_code == 200


@pytest.mark.parametrize("too_big", BEYOND)
def test_ids_and_offsets_past_the_id_columns_are_422(
    gateway: TestClient, learner: Learner, too_big: int
) -> None:
    h = learner.headers
    topic = learner.add_topic()
    drill = learner.store_card(topic, "drill_mcq")
    requests = [
        ("GET", f"/api/v1/topics/{too_big}", None),
        ("PATCH", f"/api/v1/topics/{too_big}", {"priority": 2}),
        ("DELETE", f"/api/v1/topics/{too_big}", None),
        ("GET", f"/api/v1/topics/{too_big}/contexts", None),
        ("GET", f"/api/v1/angles?topic_id={too_big}", None),
        ("GET", f"/api/v1/topics?offset={too_big}", None),
    ]
    for method, path, body in requests:
        response = gateway.request(method, path, json=body, headers=h)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["error"]["type"] == "invalid_input"
    posted = gateway.post(f"/api/v1/topics/{too_big}/contexts", json={"text": "Texto de la guía."}, headers=h)
    assert posted.status_code == 422
    review = {"card_id": too_big, "grade": "good", "state_version": 1, "idempotency_key": idempotency_key()}
    assert gateway.post("/api/v1/study/reviews", json=review, headers=h).status_code == 422
    stale = {**review, "card_id": drill["id"], "state_version": too_big}
    assert gateway.post("/api/v1/study/reviews", json=stale, headers=h).status_code == 422
    # Nothing changed, and the largest id the columns hold is an ordinary 404.
    assert gateway.get(f"/api/v1/topics/{topic['id']}", headers=h).json()["srs"]["version"] == 1
    assert gateway.get(f"/api/v1/topics/{MAX_ROW_ID}", headers=h).status_code == 404
    assert gateway.get("/api/v1/topics", params={"offset": MAX_ROW_ID}, headers=h).json()["data"] == []


def test_the_openapi_states_the_id_bounds(gateway: TestClient) -> None:
    schema = gateway.get("/api/openapi.json").json()
    parameters = schema["paths"]["/api/v1/topics/{topic_id}"]["get"]["parameters"]
    topic_id = next(p for p in parameters if p["name"] == "topic_id")["schema"]
    assert (topic_id["minimum"], topic_id["maximum"]) == (1, MAX_ROW_ID)
    card_id = schema["components"]["schemas"]["ReviewCreate"]["properties"]["card_id"]
    assert (card_id["minimum"], card_id["maximum"]) == (1, MAX_ROW_ID)


@pytest.mark.parametrize("value", [0, 1700000000, "0", True])
def test_a_number_is_not_a_date(gateway: TestClient, learner: Learner, value: object) -> None:
    h = learner.headers
    created = gateway.post(
        "/api/v1/topics", json={"title": "Asma", "modulo": "Neumología", "date_assigned": value}, headers=h
    )
    assert created.status_code == 422, created.text
    assert "date_assigned" in created.json()["error"]["message"]
    topic = learner.add_topic(with_context=False, date_assigned="2026-04-01")
    patched = gateway.patch(f"/api/v1/topics/{topic['id']}", json={"date_assigned": value}, headers=h)
    assert patched.status_code == 422
    stored = gateway.get("/api/v1/topics", headers=h).json()
    assert [t["date_assigned"] for t in stored["data"]] == ["2026-04-01"]
