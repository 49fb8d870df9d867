"""A model server that answers 200 with something that is not its API's JSON is an upstream
fault (a typed error the routes turn into a 502 envelope), never an unhandled exception."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from aimed_cardgen.errors import NotAnApiAnswer
from aimed_cardgen.model_server import (
    CompletionRequest,
    LlamaServerBackend,
    ModelServerConfig,
    OpenAICompatibleBackend,
)

HTML = httpx.Response(200, text="<html><body>Bienvenido al portal cautivo</body></html>")
PROPS = {"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1}
MODELS = {"data": [{"id": "demo.gguf"}]}


def _server(broken_path: str, broken: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == broken_path:
            return broken
        if request.url.path == "/props":
            return httpx.Response(200, json=PROPS)
        if request.url.path == "/v1/models":
            return httpx.Response(200, json=MODELS)
        return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}}]})

    return answer


async def _complete(
    backend_type: type[OpenAICompatibleBackend], server: Callable[..., httpx.Response]
) -> None:
    config = ModelServerConfig(base_url="http://model")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        await backend_type(client, config).complete(
            CompletionRequest(
                [{"role": "user", "content": "hola"}],
                schema=None,
                schema_name="card",
                seed=1,
                max_tokens=8,
                temperature=0.0,
            )
        )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backend_type", "path", "broken"),
    [
        (OpenAICompatibleBackend, "/v1/chat/completions", HTML),
        (OpenAICompatibleBackend, "/v1/models", HTML),
        (OpenAICompatibleBackend, "/v1/models", httpx.Response(200, json={"data": [{"name": "sin id"}]})),
        (LlamaServerBackend, "/v1/chat/completions", HTML),
        (LlamaServerBackend, "/props", HTML),
        (LlamaServerBackend, "/props", httpx.Response(200, json={"total_slots": 1})),
        (LlamaServerBackend, "/props", httpx.Response(200, json=["no", "es", "un", "objeto"])),
    ],
)
async def test_a_200_that_is_not_the_apis_json_is_an_upstream_error(
    backend_type: type[OpenAICompatibleBackend], path: str, broken: httpx.Response
) -> None:
    with pytest.raises(NotAnApiAnswer):
        await _complete(backend_type, _server(path, broken))


@pytest.mark.anyio
async def test_a_well_formed_answer_still_completes() -> None:
    await _complete(LlamaServerBackend, _server("/nowhere", HTML))
