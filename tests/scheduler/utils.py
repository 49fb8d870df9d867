"""Test helpers for the scheduler API: a thin client that carries the test clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_keys = itertools.count(1)


class Api:
    """Calls /v1 with `X-Aimed-Now` set to `self.now`, which tests move forward explicitly."""

    def __init__(self, client: TestClient, now: datetime = START) -> None:
        self.client = client
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)

    def headers(self) -> dict[str, str]:
        return {"X-Aimed-Now": self.now.isoformat()}

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(f"/v1{path}", headers=self.headers(), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return self.client.post(f"/v1{path}", headers=headers, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.client.patch(f"/v1{path}", headers=self.headers(), **kwargs)

    def delete(self, path: str) -> Response:
        return self.client.delete(f"/v1{path}", headers=self.headers())

    def ok(self, response: Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    # ---- factories

    def learner(self, **fields: Any) -> int:
        body = {"name": "Ana", "timezone": "Europe/Madrid", "daily_new_limit": 5, **fields}
        return int(self.ok(self.post("/learners", json=body), 201)["id"])

    def topic(self, learner_id: int, title: str, **fields: Any) -> dict[str, Any]:
        body = {"title": title, "modulo": "Cardiología", **fields}
        return dict(self.ok(self.post(f"/learners/{learner_id}/topics", json=body), 201))

    def next(self, learner_id: int, limit: int = 10) -> list[dict[str, Any]]:
        return list(self.ok(self.get(f"/learners/{learner_id}/next", params={"limit": limit}))["data"])

    def review_raw(
        self, learner_id: int, item_type: str, item_id: int, grade: str, version: int, key: str | None = None
    ) -> Response:
        body = {
            "item_type": item_type,
            "item_id": item_id,
            "grade": grade,
            "idempotency_key": key or f"key-{next(_keys)}",
            "expected_version": version,
        }
        return self.post(f"/learners/{learner_id}/reviews", json=body)

    def state(self, learner_id: int, item_type: str, item_id: int) -> dict[str, Any]:
        if item_type == "topic":
            topic = self.ok(self.get(f"/learners/{learner_id}/topics/{item_id}"))
            return dict(topic["srs"])
        return dict(self.ok(self.get(f"/learners/{learner_id}/angles/{item_id}"))["srs"])

    def answer(self, learner_id: int, item_type: str, item_id: int, grade: str) -> dict[str, Any]:
        """Answers with the version currently stored, as a client that just loaded the item would."""
        version = int(self.state(learner_id, item_type, item_id)["version"])
        return dict(self.ok(self.review_raw(learner_id, item_type, item_id, grade, version)))
