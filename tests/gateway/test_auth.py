"""Authentication and learner isolation."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from aimed_gateway.main import create_app
from aimed_gateway.tokens import TokenStore, hash_token
from tests.gateway.services import Learner, idempotency_key

PUBLIC_PATHS = {"/api/health"}


def _api_routes() -> list[tuple[str, str]]:
    """Every operation the OpenAPI document lists, with ids filled in."""
    routes = []
    for path, operations in create_app().openapi()["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        for method in operations:
            routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return routes


def test_every_api_route_is_under_api_v1() -> None:
    assert len(_api_routes()) >= 20
    assert all(path.startswith("/api/v1/") for _, path in _api_routes())


@pytest.mark.parametrize(("method", "path"), _api_routes())
def test_every_api_route_needs_a_token(gateway: TestClient, method: str, path: str) -> None:
    response = gateway.request(method, path)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["type"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_refused(gateway: TestClient) -> None:
    response = gateway.get("/api/v1/topics", headers={"Authorization": "Bearer aimed_not-a-real-token"})
    assert response.status_code == 401
    assert "Unknown token" in response.json()["error"]["message"]


def test_health_and_docs_need_no_token(gateway: TestClient) -> None:
    health = gateway.get("/api/health")
    assert health.status_code == 200
    by_name = {d["name"]: d["ok"] for d in health.json()["dependencies"]}
    assert by_name == {"scheduler": True, "generator": False}
    assert health.json()["status"] == "degraded"
    assert gateway.get("/api/docs").status_code == 200
    assert "/api/v1/study/next" in gateway.get("/api/openapi.json").json()["paths"]


def test_tokens_are_stored_hashed(tokens: TokenStore, learner: Learner) -> None:
    raw = tokens.path.read_bytes()
    assert learner.token.encode() not in raw
    assert hash_token(learner.token).encode() in raw
    assert tokens.learner_for(learner.token) == str(learner.id)


def test_me_is_the_token_owner(gateway: TestClient, learner: Learner) -> None:
    me = gateway.get("/api/v1/me", headers=learner.headers)
    assert me.status_code == 200
    assert me.json()["id"] == learner.id
    assert me.json()["name"] == "ana"


def test_other_learners_ids_answer_404(gateway: TestClient, learner: Learner, other_learner: Learner) -> None:
    topic = other_learner.add_topic()
    drill = other_learner.store_card(topic, "drill_mcq")
    mine = learner.headers
    assert gateway.get(f"/api/v1/topics/{topic['id']}", headers=mine).status_code == 404
    assert (
        gateway.patch(f"/api/v1/topics/{topic['id']}", json={"priority": 2}, headers=mine).status_code == 404
    )
    assert gateway.delete(f"/api/v1/topics/{topic['id']}", headers=mine).status_code == 404
    assert gateway.get(f"/api/v1/topics/{topic['id']}/contexts", headers=mine).status_code == 404
    posted = gateway.post(f"/api/v1/topics/{topic['id']}/contexts", json={"text": "x"}, headers=mine)
    assert posted.status_code == 404
    review = gateway.post(
        "/api/v1/study/reviews",
        json={
            "card_id": drill["id"],
            "grade": "good",
            "state_version": 1,
            "idempotency_key": idempotency_key(),
        },
        headers=mine,
    )
    assert review.status_code == 404
    # The owner still sees everything untouched.
    owner = gateway.get(f"/api/v1/topics/{topic['id']}", headers=other_learner.headers)
    assert owner.status_code == 200
    assert owner.json()["priority"] == 1
    assert gateway.get("/api/v1/topics", headers=mine).json()["count"] == 0
