"""The generator against a real llama-server running the demo GGUF (SmolLM2-135M).

The demo model writes poor, ungrounded content: these tests check that the service
gets schema-valid cards out of it, that the gate catches what it invents, and that
budgets, faults and load behave as promised. max_tokens stays small and the number
of llama calls modest: the CPU is shared.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient

from aimed_cardgen.model_server import CompletionRequest, LlamaServerBackend
from aimed_cardgen.output_schema import source_choices, structured_output_schema
from aimed_contracts.cards import card_json_schema, parse_card
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.prompts import GenerationTask, build_messages
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from aimed_generator.models import CardRequest
from tests.scaleout.gold import gold_topics
from tests.support.llama import LlamaServer

pytestmark = pytest.mark.llama

KIND_REQUESTS = {
    "battlecard": {"task": "battlecard", "level": 1},
    "drill_mcq": {"task": "drill", "level": 1},
    "drill_open": {"task": "variant", "level": 2, "angle": {"perspective": "criterios de resolución"}},
}
# The demo model sometimes still writes until max_tokens (a cut card is invalid JSON)
# despite the string bounds and DRY, so a whole card needs room and a few seeds; the
# prompt is ~1,300 tokens and a slot of the shared fixture holds 4,096.
CARD_MAX_TOKENS = 1536
FILLER = "\n\n".join(
    f"Nota {i} del servicio: el inventario de quirófano, la limpieza de superficies y el registro "
    "de turnos de enfermería se revisan cada semana según el protocolo interno del hospital."
    for i in range(80)
)


def _settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "llm_base_url": url,
        "max_attempts": 4,
        "request_timeout_s": 600,
        "connect_timeout_s": 2,
        "log_level": "WARNING",
    }
    return Settings(**{**base, **overrides})


def _card_request(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "topic": EXAMPLE_TOPIC,
        "contexts": [{"id": 1, "label": "Guía de CAD", "text": EXAMPLE_CONTEXT}],
        "seed": 11,
        **KIND_REQUESTS[kind],
        **extra,
    }


@pytest.fixture(scope="module")
def generator(llama_server: LlamaServer) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(llama_server.url))) as client:
        yield client


@pytest.fixture(scope="module")
def small_llama() -> Iterator[LlamaServer]:
    """One slot of 2,048 tokens: the guideline plus the filler does not fit."""
    with LlamaServer(ctx_size=2048, parallel=1) as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", list(KIND_REQUESTS))
async def test_llama_server_compiles_each_kind_schema(kind: str, llama_server: LlamaServer) -> None:
    """The narrowed generation schema (const topic, string bounds, one alternative per number
    of sources) compiles: fail-open would show here, as a poem where JSON was asked for."""
    request = CardRequest.model_validate(_card_request(kind))
    async with httpx.AsyncClient(timeout=300) as client:
        backend = LlamaServerBackend(client, _settings(llama_server.url).model_server())
        completion = await backend.complete(
            CompletionRequest(
                [{"role": "user", "content": "Escribe un poema corto sobre el mar."}],
                schema=structured_output_schema(request.generation_task()),
                schema_name=kind,
                seed=3,
                max_tokens=120,
                temperature=0.6,
            )
        )
    compact = re.sub(r"\s+", "", completion.text)
    topic = EXAMPLE_TOPIC.replace(" ", "")
    level = KIND_REQUESTS[kind]["level"]
    prefix = f'{{"schema_version":1,"kind":"{kind}","topic":"{topic}","level":{level},"angle":'
    assert compact.startswith(prefix), completion.text


@pytest.mark.anyio
async def test_a_string_bound_makes_the_model_close_the_string(llama_server: LlamaServer) -> None:
    """Asked to repeat a word forever inside a 40-character string, the model must stop at 40."""
    schema = {
        "type": "object",
        "properties": {"texto": {"type": "string", "minLength": 1, "maxLength": 40}},
        "required": ["texto"],
    }
    async with httpx.AsyncClient(timeout=300) as client:
        backend = LlamaServerBackend(client, _settings(llama_server.url, dry_multiplier=0).model_server())
        completion = await backend.complete(
            CompletionRequest(
                [
                    {
                        "role": "user",
                        "content": "Repite «asma asma asma» sin parar, sin cerrar nunca las comillas.",
                    }
                ],
                schema=schema,
                schema_name="bounded",
                seed=5,
                max_tokens=200,
                temperature=0.6,
            )
        )
    assert completion.finish_reason == "stop", completion.text
    assert 1 <= len(json.loads(completion.text)["texto"]) <= 40


@pytest.mark.parametrize("kind", list(KIND_REQUESTS))
def test_every_kind_comes_back_schema_valid_under_flag(kind: str, generator: TestClient) -> None:
    response = generator.post(
        "/v1/cards", json=_card_request(kind, policy="flag", max_tokens=CARD_MAX_TOKENS, max_attempts=4)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    card = body["card"]
    jsonschema.validate(card, card_json_schema(kind))
    assert parse_card(card).kind == kind
    assert body["markdown"].strip()
    assert body["model_id"].endswith(".gguf")
    assert 1 <= body["attempts"] <= 4
    report = body["grounding_report"]
    assert report["valid"] is (not report["issues"])
    # Our count of the prompt (apply-template + tokenize) is the server's own count.
    assert body["usage"]["prompt_tokens"] == body["attempts"] * body["context_budget"]["prompt_tokens"]
    assert body["usage"]["completion_tokens"] > 0
    assert body["timings"]["tokens_per_s"] > 0
    assert body["contexts_used"] == [{"index": 0, "id": 1, "passages": None}]
    # The sources were an enum of the context's sentences: no attempt copied anything else.
    assert body["generation"]["sources_mode"] == "enum"
    codes = {issue["code"] for attempt in body["attempt_reports"] for issue in attempt["issues"]}
    assert not codes & {"source_not_in_context", "source_index_out_of_range"}, codes


def test_strict_refuses_the_demo_models_ungrounded_cards(generator: TestClient) -> None:
    response = generator.post(
        "/v1/cards",
        json=_card_request("battlecard", policy="strict", max_tokens=CARD_MAX_TOKENS, max_attempts=2),
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] in {"ungrounded_output", "invalid_output"}
    attempts = error["detail"]["attempts"]
    assert [a["seed"] for a in attempts] == [11, 12]
    assert all(a["issues"] for a in attempts)
    assert len(error["detail"]["issues"]) == sum(len(a["issues"]) for a in attempts)
    metrics = generator.get("/metrics").text
    assert f'aimed_generator_refusals_total{{reason="{error["type"]}"}}' in metrics


def test_health_reports_the_model_its_window_and_slots(
    generator: TestClient, llama_server: LlamaServer
) -> None:
    health = generator.get("/health").json()
    assert health["status"] == "ok"
    backend = health["backend"]
    assert backend["model_loaded"] is True
    assert backend["model_id"].endswith(".gguf")
    assert backend["n_ctx_slot"] == llama_server.ctx_size // llama_server.parallel
    assert backend["slots"] == llama_server.parallel
    assert health["admission"]["slots"] == llama_server.parallel


def test_a_context_longer_than_the_window_goes_through_passage_selection(small_llama: LlamaServer) -> None:
    body = {
        **_card_request("battlecard", policy="flag", max_tokens=200, max_attempts=1),
        "contexts": [
            {"id": "notas", "label": "Notas del servicio", "text": FILLER},
            {"id": "guia", "label": "Guía de CAD", "text": EXAMPLE_CONTEXT},
        ],
    }
    with TestClient(create_app(_settings(small_llama.url))) as client:
        response = client.post("/v1/cards", json=body)
    assert response.status_code in (200, 422), response.text
    result = response.json() if response.status_code == 200 else response.json()["error"]["detail"]
    budget = result["context_budget"]
    assert budget["n_ctx_slot"] == 2048
    assert budget["prompt_tokens_full"] > 2048
    assert budget["selected"] is True
    assert budget["prompt_tokens"] <= 2048 - 200 - budget["margin_tokens"]
    used = {c["id"]: c["passages"] for c in result["contexts_used"]}
    assert used["guia"], "the guideline names the topic: BM25 must keep it"
    assert len(used.get("notas") or []) < 80
    attempts = result["attempts"] if isinstance(result["attempts"], list) else result["attempt_reports"]
    assert attempts[0]["prompt_tokens"] == budget["prompt_tokens"]


def test_nothing_fits_is_413_before_any_generation(small_llama: LlamaServer) -> None:
    with TestClient(create_app(_settings(small_llama.url))) as client:
        response = client.post("/v1/cards", json=_card_request("drill_mcq", max_tokens=1900))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "context_too_large"
    assert error["detail"]["n_ctx_slot"] == 2048
    assert error["detail"]["max_tokens"] == 1900


def test_llama_server_stopped_is_503_within_the_timeout() -> None:
    server = LlamaServer(ctx_size=2048, parallel=1).start()
    try:
        with TestClient(create_app(_settings(server.url, request_timeout_s=30))) as client:
            assert client.get("/health").json()["status"] == "ok"
            server.stop()
            start = time.monotonic()
            response = client.post("/v1/cards", json=_card_request("drill_mcq", max_tokens=64))
            elapsed = time.monotonic() - start
            assert response.status_code == 503
            assert response.json()["error"]["type"] == "model_unavailable"
            assert elapsed < 30
            health = client.get("/health")
            assert health.status_code == 200
            assert health.json()["status"] == "degraded"
            assert health.json()["backend"]["reachable"] is False
    finally:
        server.stop()


def test_llama_server_dying_mid_generation_is_503_not_a_hang() -> None:
    server = LlamaServer(ctx_size=4096, parallel=1).start()
    try:
        with TestClient(create_app(_settings(server.url, request_timeout_s=120))) as client:
            # Long enough that it cannot finish before the kill below.
            killer = threading.Timer(2.0, server.stop)
            killer.start()
            start = time.monotonic()
            response = client.post(
                "/v1/cards", json=_card_request("drill_mcq", max_tokens=600, max_attempts=1)
            )
            killer.join()
            assert response.status_code == 503, response.text
            assert response.json()["error"]["type"] == "model_unavailable"
            assert time.monotonic() - start < 60
    finally:
        server.stop()


@pytest.mark.anyio
async def test_concurrent_requests_beyond_the_slots_queue_or_get_busy(llama_server: LlamaServer) -> None:
    # A queue wait long enough for a shared, slow CPU: only the queue bound may refuse here.
    app = create_app(_settings(llama_server.url, max_queue=1, queue_timeout_s=600))
    async with app.router.lifespan_context(app):
        assert app.state.limiter.capacity == llama_server.parallel
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://generator", timeout=600) as http:
            bodies = [_card_request("drill_mcq", seed=s, max_tokens=16, max_attempts=1) for s in range(5)]
            responses = await asyncio.gather(*(http.post("/v1/cards", json=b) for b in bodies))
            after = await http.get("/health")
    busy = [r for r in responses if r.status_code == 503]
    served = [r for r in responses if r.status_code != 503]
    # 2 slots + 1 queued are served; the other 2 are told to come back.
    assert len(busy) == 2
    assert all(r.json()["error"]["type"] == "busy" and int(r.headers["Retry-After"]) >= 1 for r in busy)
    # 16 tokens cannot hold a card: served requests end as a clear 422, never a 500.
    assert all(r.status_code in (200, 422) for r in served), [r.text for r in served]
    assert after.json()["status"] == "ok"
    assert after.json()["admission"]["in_flight"] == 0


def _sources_written(text: str) -> list[str]:
    """The complete strings of an answer's `sources` array, even one cut at max_tokens."""
    decoder = json.JSONDecoder()
    at = text.index("[", text.index('"sources"')) + 1
    sources: list[str] = []
    while True:
        at = len(text) - len(text[at:].lstrip(" \n,"))
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return sources  # cut inside a string, or the array ended
        assert isinstance(value, str), value
        sources.append(value)


@pytest.mark.anyio
async def test_llama_server_can_only_return_sources_from_the_context(llama_server: LlamaServer) -> None:
    """Told to invent its sources, the model still writes only sentences of the context."""
    gold = gold_topics()[3]
    task = GenerationTask.model_validate(
        {"task": "battlecard", "topic": gold.title, "contexts": [{"text": gold.context}]}
    )
    choices = source_choices(task)
    assert choices.mode == "enum"
    messages = build_messages(task)
    messages[-1]["content"] += (
        '\n\nEn "sources" NO copies el Contexto: escribe frases nuevas, inventadas por ti, '
        'como "source_source_source" o "El paracetamol cura el asma".'
    )
    written: list[str] = []
    async with httpx.AsyncClient(timeout=600) as client:
        backend = LlamaServerBackend(client, _settings(llama_server.url).model_server())
        for seed in (1, 2, 3):
            completion = await backend.complete(
                CompletionRequest(
                    messages,
                    schema=structured_output_schema(task, choices),
                    schema_name="battlecard",
                    seed=seed,
                    max_tokens=160,  # the sources come first; a cut answer still shows them
                    temperature=1.0,
                )
            )
            written += _sources_written(completion.text)
    assert written
    assert set(written) <= set(choices.sentences), set(written) - set(choices.sentences)


def test_a_second_card_of_a_topic_is_served_from_the_cached_prefix(llama_server: LlamaServer) -> None:
    """llama-server's own timings: the drill after the BattleCard evaluates only the task part,
    even with another topic's card in between (the generator sends the topic back to its slot)."""
    first, other = gold_topics()[4], gold_topics()[5]

    def card(gold: Any, **fields: Any) -> dict[str, Any]:
        body = {
            "topic": gold.title,
            "contexts": [{"id": 1, "label": "Guía", "text": gold.context}],
            "seed": 5,
            "max_tokens": 16,  # a cut card is refused: the prompt is what is measured
            "max_attempts": 1,
            "policy": "flag",
            **fields,
        }
        response = client.post("/v1/cards", json=body)
        assert response.status_code in (200, 422), response.text
        result = response.json() if response.status_code == 200 else response.json()["error"]["detail"]
        attempts = result.get("attempt_reports") or result["attempts"]
        return dict(attempts[0])

    with TestClient(create_app(_settings(llama_server.url))) as client:
        card(first, task="battlecard")
        card(other, task="battlecard")
        drill = card(first, task="drill", level=1)
    assert drill["cached_prompt_tokens"] is not None, "llama-server reports timings.cache_n"
    evaluated = drill["prompt_tokens"] - drill["cached_prompt_tokens"]
    assert evaluated <= 0.15 * drill["prompt_tokens"], drill
