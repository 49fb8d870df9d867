"""What the generator asks of the model server besides the prompt: DRY only where it exists."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aimed_cardgen.model_server import (
    CompletionRequest,
    LlamaServerBackend,
    ModelServerConfig,
    OpenAICompatibleBackend,
)

ANSWER = {
    "choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
    "usage": {"completion_tokens": 1, "prompt_tokens": 3},
}


async def _sent_body(backend_type: type[OpenAICompatibleBackend], **options: Any) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/props":
            return httpx.Response(
                200, json={"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1}
            )
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "demo.gguf"}]})
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=ANSWER)

    config = ModelServerConfig(base_url="http://model", **options)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        await backend_type(client, config).complete(
            CompletionRequest(
                [{"role": "user", "content": "hola"}],
                schema={"type": "object"},
                schema_name="card",
                seed=7,
                max_tokens=64,
                temperature=0.6,
            )
        )
    [body] = sent
    return body


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_llama_server_gets_the_dry_penalty_by_default() -> None:
    body = await _sent_body(LlamaServerBackend)
    assert body["dry_multiplier"] == 0.8
    assert body["dry_allowed_length"] == 2
    assert body["seed"] == 7 and body["max_tokens"] == 64
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}


@pytest.mark.anyio
async def test_dry_can_be_turned_off_or_tuned() -> None:
    assert "dry_multiplier" not in await _sent_body(LlamaServerBackend, dry_multiplier=0)
    tuned = await _sent_body(LlamaServerBackend, dry_multiplier=1.5, dry_allowed_length=4)
    assert (tuned["dry_multiplier"], tuned["dry_allowed_length"]) == (1.5, 4)


@pytest.mark.anyio
async def test_other_openai_style_servers_never_get_llama_only_fields() -> None:
    body = await _sent_body(OpenAICompatibleBackend)
    assert not {key for key in body if key.startswith("dry_")}
