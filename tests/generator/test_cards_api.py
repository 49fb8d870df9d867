"""POST /v1/cards and the other routes, over a scripted backend: attempts, refusals, faults."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aimed_cardgen import Policy
from aimed_cardgen.context_budget import split_passages
from aimed_cardgen.errors import ModelTimeout, ModelUnavailable, UpstreamError
from aimed_contracts.examples import EXAMPLE_CARDS, EXAMPLE_CONTEXT, EXAMPLE_DRILL_MCQ, EXAMPLE_TOPIC
from aimed_contracts.prompts import GenerationTask, build_messages
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from tests.generator.fakes import FakeBackend

TASKS = {
    "battlecard": {"task": "battlecard", "level": 1},
    "drill_mcq": {"task": "drill", "level": 1},
    "drill_open": {"task": "variant", "level": 2, "angle": {"perspective": "criterios de resolución"}},
}


def _request(kind: str = "drill_mcq", **extra: Any) -> dict[str, Any]:
    body = {
        "topic": EXAMPLE_TOPIC,
        "contexts": [{"id": 7, "label": "Guía CAD", "text": EXAMPLE_CONTEXT}],
        "seed": 100,
        **TASKS[kind],
    }
    body.update(extra)
    return body


def _ungrounded_mcq() -> dict[str, Any]:
    card = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    card["explanation"] = "Se administra insulina a 0,5 U/kg/h y metformina."  # a changed dose, a new drug
    return card


def _settings(**overrides: Any) -> Settings:
    return Settings(**{"max_attempts": 3, "policy": Policy.strict, **overrides})


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def client(backend: FakeBackend) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(), backend=backend)) as test_client:
        yield test_client


def _metric(client: TestClient, name: str) -> float:
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize("kind", list(EXAMPLE_CARDS))
def test_a_grounded_answer_comes_back_with_markdown_report_and_accounting(
    kind: str, backend: FakeBackend, client: TestClient
) -> None:
    backend.answers = [EXAMPLE_CARDS[kind]]
    response = client.post("/v1/cards", json=_request(kind))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["card"]["kind"] == kind
    assert body["grounding_report"]["valid"] is True
    assert body["attempts"] == 1
    assert body["markdown"].startswith("#")
    assert body["model_id"] == "fake-model.gguf"
    assert body["contexts_used"] == [{"index": 0, "id": 7, "passages": None}]
    assert body["usage"]["prompt_tokens"] > 0 and body["usage"]["completion_tokens"] > 0
    assert body["timings"]["tokens_per_s"] > 0
    assert body["policy"] == "strict"
    call = backend.calls[0]
    assert call["seed"] == 100
    for branch in call["schema"].get("anyOf", [call["schema"]]):
        assert branch["properties"]["kind"]["const"] == kind
        assert branch["properties"]["topic"]["const"] == EXAMPLE_TOPIC
    assert EXAMPLE_CONTEXT in call["messages"][1]["content"]


def test_topic_level_and_angle_are_the_requests(backend: FakeBackend, client: TestClient) -> None:
    card = copy.deepcopy(EXAMPLE_CARDS["drill_open"])
    card["topic"], card["angle"] = "tema mal escrito", "otra cosa"
    backend.answers = [card]
    body = client.post("/v1/cards", json=_request("drill_open", topic="CAD del adulto")).json()
    assert body["card"]["topic"] == "CAD del adulto"
    assert body["card"]["angle"] == "criterios de resolución"


def test_a_failing_card_is_retried_with_the_next_seed(backend: FakeBackend, client: TestClient) -> None:
    backend.answers = [_ungrounded_mcq(), EXAMPLE_DRILL_MCQ]
    response = client.post("/v1/cards", json=_request())
    assert response.status_code == 200
    body = response.json()
    assert body["attempts"] == 2
    assert [c["seed"] for c in backend.calls] == [100, 101]
    assert body["attempt_reports"][0]["valid"] is False
    assert body["attempt_reports"][1]["valid"] is True
    assert body["grounding_report"]["valid"] is True
    assert _metric(client, "aimed_generator_retries_total") == 1


def test_strict_refuses_after_the_bound_with_every_issue_of_every_attempt(
    backend: FakeBackend, client: TestClient
) -> None:
    backend.answers = [_ungrounded_mcq()]
    response = client.post("/v1/cards", json=_request())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "ungrounded_output"
    assert len(backend.calls) == 3
    assert [a["seed"] for a in error["detail"]["attempts"]] == [100, 101, 102]
    codes = {(i["attempt"], i["code"]) for i in error["detail"]["issues"]}
    for attempt in (1, 2, 3):
        assert (attempt, "number_not_in_context") in codes
        assert (attempt, "unsupported_term") in codes
    assert _metric(client, 'aimed_generator_refusals_total{reason="ungrounded_output"}') == 1


def test_flag_returns_the_ungrounded_card_with_its_report(backend: FakeBackend, client: TestClient) -> None:
    backend.answers = [_ungrounded_mcq()]
    response = client.post("/v1/cards", json=_request(policy="flag", max_attempts=2))
    assert response.status_code == 200
    body = response.json()
    assert body["attempts"] == 2
    assert body["policy"] == "flag"
    assert body["grounding_report"]["valid"] is False
    fields = {i["field"] for i in body["grounding_report"]["issues"]}
    assert "explanation" in fields


def test_a_request_cannot_exceed_the_configured_attempts(backend: FakeBackend, client: TestClient) -> None:
    backend.answers = [_ungrounded_mcq()]
    client.post("/v1/cards", json=_request(max_attempts=10))
    assert len(backend.calls) == 3


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("Claro, aquí tienes una pregunta sobre la CAD: ...", "schema_invalid"),  # fail-open prose
        ('{"schema_version": 1, "kind": "drill_mcq", "sources": ["La insu', "schema_invalid"),  # cut
        (EXAMPLE_CARDS["battlecard"], "wrong_kind"),
    ],
)
def test_no_schema_valid_card_is_invalid_output_under_any_policy(
    answer: Any, code: str, backend: FakeBackend, client: TestClient
) -> None:
    backend.answers = [answer]
    for policy in ("strict", "flag"):
        response = client.post("/v1/cards", json=_request(policy=policy, max_attempts=2))
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["type"] == "invalid_output"
        assert {i["code"] for i in error["detail"]["issues"]} == {code}


def test_incoherent_card_is_not_returned_even_under_flag(backend: FakeBackend, client: TestClient) -> None:
    card = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    card["answer_index"] = 4
    backend.answers = [card]
    response = client.post("/v1/cards", json=_request(policy="flag", max_attempts=1))
    assert response.status_code == 422
    assert "answer_index_out_of_range" in {i["code"] for i in response.json()["error"]["detail"]["issues"]}


@pytest.mark.parametrize(
    ("fault", "status", "error_type"),
    [
        (ModelUnavailable("down"), 503, "model_unavailable"),
        (ModelTimeout("slow"), 504, "upstream_timeout"),
        (UpstreamError("odd"), 502, "upstream_error"),
    ],
)
def test_backend_faults_map_to_the_envelope(
    fault: Exception, status: int, error_type: str, backend: FakeBackend, client: TestClient
) -> None:
    backend.answers = [fault]
    response = client.post("/v1/cards", json=_request())
    assert response.status_code == status
    assert response.json()["error"]["type"] == error_type
    assert _metric(client, f'aimed_generator_refusals_total{{reason="{error_type}"}}') == 1


def test_bad_requests_say_what_and_where(client: TestClient) -> None:
    response = client.post("/v1/cards", json={**_request(), "task": "variant"})
    assert response.status_code == 422
    assert "angle" in response.json()["error"]["message"]
    response = client.post("/v1/cards", json={**_request(), "contexts": []})
    assert response.status_code == 422
    assert "contexts" in response.json()["error"]["message"]
    response = client.post("/v1/cards", json={**_request(), "level": 3})
    assert "level" in response.json()["error"]["message"]


def test_context_too_large_is_413(backend: FakeBackend, client: TestClient) -> None:
    backend.n_ctx_slot = 700
    response = client.post("/v1/cards", json=_request(max_tokens=400))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "context_too_large"
    assert error["detail"]["n_ctx_slot"] == 700
    assert backend.calls == []


def test_long_context_goes_through_passage_selection(backend: FakeBackend, client: TestClient) -> None:
    filler = "\n\n".join(
        f"El registro {i} de la unidad describe la limpieza de quirófanos y el inventario de material."
        for i in range(60)
    )
    contexts = [{"id": "guia", "text": EXAMPLE_CONTEXT}, {"id": "registro", "text": filler}]
    whole = GenerationTask(task="drill", topic=EXAMPLE_TOPIC, contexts=[EXAMPLE_CONTEXT, filler])
    just_guide = whole.model_copy(update={"contexts": whole.contexts[:1]})
    guide_tokens = asyncio.run(backend.count_prompt_tokens(build_messages(just_guide)))
    # Room for the guideline and a few filler paragraphs, not for all 60.
    backend.n_ctx_slot = guide_tokens + 300 + 32 + 60
    backend.answers = [EXAMPLE_DRILL_MCQ]
    response = client.post("/v1/cards", json={**_request(max_tokens=300), "contexts": contexts})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["context_budget"]["selected"] is True
    assert result["context_budget"]["prompt_tokens"] <= backend.n_ctx_slot - 300 - 32
    used = {c["id"]: c["passages"] for c in result["contexts_used"]}
    assert used["guia"] == list(range(len(split_passages(EXAMPLE_CONTEXT))))
    assert 0 < len(used["registro"]) < 60
    prompt = backend.calls[0]["messages"][1]["content"]
    assert "potasio" in prompt and "registro 59 " not in prompt
    assert result["grounding_report"]["valid"] is True


def test_validate_is_the_gate_alone(client: TestClient) -> None:
    ok = client.post("/v1/validate", json={"card": EXAMPLE_DRILL_MCQ, "context": EXAMPLE_CONTEXT})
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    bad = client.post("/v1/validate", json={"card": _ungrounded_mcq(), "context": EXAMPLE_CONTEXT})
    assert bad.status_code == 200
    report = bad.json()
    assert report["valid"] is False
    assert {"number_not_in_context", "unsupported_term"} <= {i["code"] for i in report["issues"]}
    explained = {"code", "field", "message", "message_es", "claim", "evidence", "closest_sentence"}
    assert all(set(i) == explained and i["message_es"] for i in report["issues"])
    with_topic = client.post(
        "/v1/validate",
        json={"card": EXAMPLE_DRILL_MCQ, "context": EXAMPLE_CONTEXT, "topic": "Cetoacidosis diabética"},
    )
    assert with_topic.status_code == 200 and with_topic.json()["valid"] is True
    half = client.post("/v1/validate", json={"card": {"kind": "drill_mcq"}, "context": EXAMPLE_CONTEXT})
    assert half.json()["valid"] is False
    assert "schema_invalid" in {i["code"] for i in half.json()["issues"]}


def test_schema_route_serves_each_kind_and_the_union(client: TestClient) -> None:
    assert client.get("/v1/schema").json()["oneOf"]
    assert (
        client.get("/v1/schema", params={"kind": "battlecard"}).json()["properties"]["kind"]["const"]
        == "battlecard"
    )
    assert client.get("/v1/schema", params={"kind": "quiz"}).status_code == 422


def test_health_is_ok_with_the_model_and_degraded_without(backend: FakeBackend, client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["backend"]["n_ctx_slot"] == 4096
    assert health["admission"]["slots"] == 1
    backend.down = ModelUnavailable("the model server is unreachable")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "unreachable" in response.json()["backend"]["error"]


def test_metrics_expose_requests_latency_tokens(backend: FakeBackend, client: TestClient) -> None:
    backend.answers = [EXAMPLE_DRILL_MCQ]
    client.post("/v1/cards", json=_request())
    text = client.get("/metrics").text
    assert 'aimed_generator_requests_total{method="POST",route="/v1/cards",status="200"} 1.0' in text
    assert 'aimed_generator_request_seconds_count{route="/v1/cards"} 1.0' in text
    assert _metric(client, 'aimed_generator_tokens_total{type="completion"}') > 0
    assert 'aimed_generator_cards_total{grounded="true",kind="drill_mcq"} 1.0' in text


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _post_all(app: FastAPI, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://generator") as http:
        return await asyncio.gather(*(http.post("/v1/cards", json=b) for b in bodies))


@pytest.mark.anyio
async def test_requests_beyond_slots_and_queue_are_503_busy_never_a_crash() -> None:
    release = asyncio.Event()
    started = asyncio.Event()
    backend = FakeBackend(answers=[EXAMPLE_DRILL_MCQ], slots=1, gate=release, on_complete=started.set)
    app = create_app(_settings(max_queue=1), backend=backend)
    async with app.router.lifespan_context(app):
        pending = asyncio.create_task(_post_all(app, [_request(seed=s) for s in range(4)]))
        await started.wait()
        for _ in range(50):
            await asyncio.sleep(0.01)
            if app.state.limiter.waiting == 1:
                break
        assert app.state.limiter.in_flight == 1
        release.set()
        responses = await pending
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503, 503]
    for busy in (r for r in responses if r.status_code == 503):
        assert busy.json()["error"]["type"] == "busy"
        assert int(busy.headers["Retry-After"]) >= 1
    assert len(backend.calls) == 2
