"""A card's progress while it is written: the generator streams it from a real llama-server
and `GET /v1/generations/{id}` shows its tokens so far and tokens per second."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from aimed_cardgen.model_server import CompletionRequest, LlamaServerBackend
from aimed_cardgen.streaming import StreamedChat
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from aimed_generator.progress import GenerationProgress, ProgressBoard
from tests.support.llama import LlamaServer

LLAMA_STREAM = [
    'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null}}],"model":"demo.gguf"}',
    "",
    'data: {"choices":[{"index":0,"delta":{"content":"{\\"kind\\""}}],"model":"demo.gguf"}',
    ": a comment line",
    "data: not json at all",
    'data: {"choices":[{"index":0,"delta":{"content":": \\"battlecard\\"}"}}]}',
    'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    'data: {"choices":[],"usage":{"prompt_tokens":900,"completion_tokens":2},'
    '"timings":{"predicted_ms":40.0,"predicted_per_second":50.0,"cache_n":880}}',
    "data: [DONE]",
]


def test_a_stream_becomes_the_answer_a_plain_call_gives_and_counts_tokens() -> None:
    progress = GenerationProgress("g-12345678", "battlecard")
    progress.begin_attempt(512)
    streamed = StreamedChat(progress)
    for line in LLAMA_STREAM:
        streamed.feed_line(line)
    answer = streamed.answer()
    assert answer["choices"][0]["message"]["content"] == '{"kind": "battlecard"}'
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["completion_tokens"] == 2 and answer["timings"]["cache_n"] == 880
    assert answer["model"] == "demo.gguf"
    status = progress.status()
    assert (status.state, status.tokens, status.max_tokens, status.attempt) == ("writing", 2, 512, 1)


def test_an_unknown_or_malformed_generation_id_is_a_clear_4xx() -> None:
    with TestClient(create_app(Settings(llm_base_url="http://127.0.0.1:9", log_level="WARNING"))) as client:
        missing = client.get("/v1/generations/abcdef0123456789")
        assert missing.status_code == 404
        assert missing.json()["error"]["type"] == "generation_not_found"
        assert client.get("/v1/generations/no!").status_code == 422
        bad_header = client.post(
            "/v1/cards",
            json={"task": "battlecard", "topic": "T", "contexts": [{"text": "x"}]},
            headers={"X-Generation-Id": "short"},
        )
        assert bad_header.status_code == 422


@pytest.fixture(scope="module")
def generator(llama_server: LlamaServer) -> Iterator[TestClient]:
    settings = Settings(
        llm_base_url=llama_server.url, max_attempts=1, request_timeout_s=1800, log_level="WARNING"
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.llama
def test_the_tokens_of_a_card_being_written_advance_until_it_is_done(generator: TestClient) -> None:
    generation_id = "progress-test-0001"
    result: dict[str, Any] = {}

    def write() -> None:
        result["response"] = generator.post(
            "/v1/cards",
            json={
                "task": "battlecard",
                "topic": EXAMPLE_TOPIC,
                "contexts": [{"id": 1, "text": EXAMPLE_CONTEXT}],
                "seed": 5,
                "max_tokens": 48,
                "policy": "flag",
            },
            headers={"X-Generation-Id": generation_id},
        )

    thread = threading.Thread(target=write)
    thread.start()
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 1800
    while thread.is_alive() and time.monotonic() < deadline:
        response = generator.get(f"/v1/generations/{generation_id}")
        if response.status_code == 200:
            seen.append(response.json())
        time.sleep(0.1)
    thread.join()
    writing = [s["tokens"] for s in seen if s["state"] == "writing"]
    # Several readings while it wrote, each at least the one before, and rising overall.
    assert len(set(writing)) >= 3, seen[-5:]
    assert writing == sorted(writing) and writing[-1] > writing[0]
    assert all(s["kind"] == "battlecard" and s["max_tokens"] == 48 for s in seen if s["state"] == "writing")
    assert any(s["tokens_per_s"] for s in seen)
    final = generator.get(f"/v1/generations/{generation_id}").json()
    assert final["state"] == "done"
    card = result["response"]
    # The streamed answer went through the same gate: a card (flagged or not) or a refusal.
    assert card.status_code in (200, 422), card.text
    if card.status_code == 200:
        assert final["tokens"] == card.json()["usage"]["completion_tokens"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.llama
@pytest.mark.anyio
async def test_the_backend_streams_a_followed_completion_and_counts_each_token(
    llama_server: LlamaServer,
) -> None:
    """A short prompt, so it is quick even on a busy machine: the count rises while it streams
    and ends equal to the server's own count; an unfollowed completion is not streamed."""
    settings = Settings(llm_base_url=llama_server.url, request_timeout_s=600, log_level="WARNING")
    board = ProgressBoard()
    messages = [{"role": "user", "content": "Escribe un poema largo sobre el mar."}]
    async with httpx.AsyncClient(timeout=600) as client:
        backend = LlamaServerBackend(client, settings.model_server())
        readings: list[int] = []

        async def watch() -> None:
            while True:
                entry = board.get("poema-0001")
                if entry is not None:
                    readings.append(entry.tokens)
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        with board.track("poema-0001", "battlecard"):
            completion = await backend.complete(
                CompletionRequest(
                    messages,
                    schema=None,
                    schema_name="aimed_battlecard",
                    seed=1,
                    max_tokens=48,
                    temperature=0.8,
                )
            )
        watcher.cancel()
        # Read now: a finished generation is forgotten a minute later.
        entry = board.get("poema-0001")
        plain = await backend.complete(
            CompletionRequest(
                messages, schema=None, schema_name="aimed_battlecard", seed=1, max_tokens=48, temperature=0.8
            )
        )
    assert entry is not None and entry.status().state == "done"
    assert entry.tokens == completion.completion_tokens > 0
    assert len({r for r in readings if r > 0}) >= 3, readings
    assert completion.text and completion.tokens_per_s > 0
    # The same seed without a follower (no stream) writes the same text.
    assert plain.text == completion.text
