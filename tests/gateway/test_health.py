"""What the gateway says about the model, with a real llama-server (demo GGUF) that is then
stopped: health is `ok` only while the model answers, and no answer names a path on the server.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import GatewayFactory
from tests.gateway.services import Learner
from tests.support.llama import LlamaServer, demo_model
from tests.support.process import ServiceProcess


def test_health_is_degraded_while_no_model_answers(gateway_factory: GatewayFactory, dead_url: str) -> None:
    generator = ServiceProcess(
        "aimed_generator.main:create_app", {"AIMED_GENERATOR_LLM_BASE_URL": dead_url}
    ).start()
    try:
        health = gateway_factory(generator_url=generator.url).get("/api/health").json()
    finally:
        generator.stop()
    assert health["status"] == "degraded"
    assert health["model"] == {"available": False, "name": None}
    assert {d["name"]: d["ok"] for d in health["dependencies"]} == {"scheduler": True, "generator": True}


@pytest.mark.llama
def test_health_and_model_status_follow_the_model(gateway_factory: GatewayFactory, learner: Learner) -> None:
    llama = LlamaServer(ctx_size=2048, parallel=1).start()
    generator = ServiceProcess(
        "aimed_generator.main:create_app", {"AIMED_GENERATOR_LLM_BASE_URL": llama.url}
    ).start()
    try:
        gateway = gateway_factory(generator_url=generator.url)
        up = gateway.get("/api/health")
        assert up.headers["cache-control"] == "no-store"
        assert up.json()["status"] == "ok"
        assert up.json()["model"] == {"available": True, "name": demo_model().name}
        status = gateway.get("/api/v1/model/status", headers=learner.headers)
        assert status.json()["available"] is True
        assert status.json()["model_id"] == demo_model().name
        for answer in (up, status):
            assert str(demo_model().parent) not in answer.text
            assert generator.url not in answer.text and llama.url not in answer.text

        llama.stop()
        down = gateway.get("/api/health").json()
        assert down["status"] == "degraded"
        assert down["model"] == {"available": False, "name": None}
        assert {d["name"]: d["ok"] for d in down["dependencies"]} == {"scheduler": True, "generator": True}
        status = gateway.get("/api/v1/model/status", headers=learner.headers).json()
        assert status["available"] is False
        assert status["message"] == "El modelo no está listo todavía."
    finally:
        generator.stop()
        llama.stop()
