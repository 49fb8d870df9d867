"""The gateway's edges (issue 10): unreadable bodies are the documented 422, a wrong method
names the path's methods, and no answer may be cached.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.gateway.services import Learner


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"title": "Sepsis", '),
        ("application/json", b'{"title": "\xff\xfe", "modulo": "urgencias"}'),
    ],
    ids=["malformed_json", "not_utf8"],
)
def test_an_unreadable_body_is_the_documented_422(
    gateway: TestClient, learner: Learner, content_type: str, body: bytes
) -> None:
    response = gateway.post(
        "/api/v1/topics", content=body, headers={**learner.headers, "Content-Type": content_type}
    )
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_input"
    assert gateway.get("/api/v1/topics", headers=learner.headers).json()["count"] == 0


def test_a_broken_multipart_form_is_the_documented_422(gateway: TestClient, learner: Learner) -> None:
    response = gateway.post(
        "/api/v1/topics/import",
        content=b'--frontera\r\nContent-Disposition: form-data; name="file"\r\n',
        headers={**learner.headers, "Content-Type": "multipart/form-data; boundary=frontera"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "invalid_input"


@pytest.mark.parametrize("method", ["OPTIONS", "PUT"])
def test_a_wrong_method_lists_the_paths_methods(gateway: TestClient, learner: Learner, method: str) -> None:
    response = gateway.request(method, "/api/v1/topics", headers=learner.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["error"]["detail"] == {"allowed": ["GET", "POST"]}


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/topics", "/api/health", "/api/v1/no-such-route"])
def test_no_answer_may_be_cached(gateway: TestClient, learner: Learner, path: str) -> None:
    for headers in ({}, learner.headers):
        assert gateway.get(path, headers=headers).headers["cache-control"] == "no-store"
