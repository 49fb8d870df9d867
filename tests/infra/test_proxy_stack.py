"""The reverse proxy in front of the real system (infra/stack.py: llama-server, generator,
scheduler, gateway, nginx): the public API works through it, and every internal
service's path — which does answer on that service's own port — is not reachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from infra.stack import Stack, StackConfig
from tests.support.learners import create_learner

pytestmark = [pytest.mark.llama, pytest.mark.slow]


@dataclass
class Running:
    config: StackConfig
    token: str
    learner_id: int


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    config = StackConfig.free_ports(tmp_path_factory.mktemp("stack"), prefetch_depth=0)
    with Stack(config):
        learner_id, token = create_learner(config, "proxy")
        yield Running(config, token, learner_id)


def internal_endpoints(running: Running) -> list[tuple[str, str]]:
    """(base URL of an internal service, a GET path it answers with 200)."""
    c = running.config
    return [
        (c.scheduler_url, "/health"),
        (c.scheduler_url, f"/v1/learners/{running.learner_id}"),
        (c.scheduler_url, f"/v1/learners/{running.learner_id}/topics"),
        (c.scheduler_url, f"/v1/learners/{running.learner_id}/backup"),
        (c.generator_url, "/health"),
        (c.generator_url, "/v1/schema"),
        (c.generator_url, "/metrics"),
        (c.model_url, "/health"),
        (c.model_url, "/props"),
        (c.model_url, "/v1/models"),
    ]


def test_the_public_api_works_through_the_proxy(running: Running) -> None:
    proxy = running.config.proxy_url
    health = httpx.get(proxy + "/api/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] in ("ok", "degraded")
    me = httpx.get(proxy + "/api/v1/me", headers={"Authorization": f"Bearer {running.token}"}, timeout=10)
    assert me.status_code == 200
    assert me.json()["name"] == "proxy"
    anonymous = httpx.get(proxy + "/api/v1/me", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"]
    assert "script-src 'self'" in anonymous.headers["content-security-policy"]
    assert anonymous.headers["x-content-type-options"] == "nosniff"


def get_through_proxy(running: Running, path: str, **headers: str) -> httpx.Response:
    """GET /api/v1`path` through nginx as the learner, with these extra headers."""
    headers = {"Authorization": f"Bearer {running.token}", **headers}
    return httpx.get(f"{running.config.proxy_url}/api/v1{path}", headers=headers, timeout=30)


def test_the_clock_header_reaches_the_gateway(running: Running) -> None:
    # The stack runs without ALLOW_CLOCK_OVERRIDE: a gateway that sees the header refuses it.
    response = get_through_proxy(running, "/study/next", **{"X-Aimed-Now": "2026-12-01T09:00:00+00:00"})
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "clock_override_disabled"


def test_api_json_is_gzipped(running: Running) -> None:
    response = get_through_proxy(running, "/stats", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["forecast"]  # httpx decodes it: the body is valid gzip


def test_internal_services_answer_only_on_their_own_ports(running: Running) -> None:
    proxy = running.config.proxy_url
    for base, path in internal_endpoints(running):
        direct = httpx.get(base + path, timeout=10)
        assert direct.status_code == 200, f"{base}{path} should answer directly ({direct.status_code})"
        through = httpx.get(proxy + path, timeout=10)
        assert through.status_code == 404, f"{path} is reachable through the proxy ({through.status_code})"
        assert through.content != direct.content
        for disguised in (f"/api/..{path}", f"/api/v1/../..{path}", f"/api/%2e%2e{path}"):
            answer = httpx.get(proxy + disguised, timeout=10)
            assert answer.status_code in (400, 404), f"{disguised} answered {answer.status_code}"
