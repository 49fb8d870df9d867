"""The prompt trained on is byte-identical to the one the generator sends (real llama-server, real rows)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aimed_cardgen import BackendKind, CardGeneratorConfig, ModelServerConfig, open_generator
from aimed_cardgen.model_server import make_backend
from aimed_contracts.errors import ServiceError
from aimed_training.dataset import load_rows, prompt_messages, task_for_row
from aimed_training.evaluation import eval_options
from aimed_training.formatting import render_prompt
from tests.support.llama import LlamaServer
from tests.training.conftest import HELDOUT, one_of_each_kind

pytestmark = pytest.mark.llama


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    started = LlamaServer(ctx_size=4096, parallel=1).start()
    yield started
    started.stop()


async def _messages_the_generator_sends(url: str, row: dict[str, Any]) -> list[dict[str, str]]:
    sent: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            sent.append(json.loads(request.content))

    config = CardGeneratorConfig(server=ModelServerConfig(base_url=url, backend=BackendKind.llama_server))
    async with (
        httpx.AsyncClient(timeout=120, event_hooks={"request": [record]}) as client,
        open_generator(config, backend=make_backend(client, config.server)) as generator,
    ):
        # A 16-token answer is cut: the card is refused, but the request it sent is what we compare.
        with pytest.raises(ServiceError):
            await generator.generate(task_for_row(row), eval_options(seed=1, max_tokens=16))
    assert len(sent) == 1
    return sent[0]["messages"]


def test_training_prompt_is_the_generator_prompt(server: LlamaServer, smollm2_tokenizer: Any) -> None:
    for row in one_of_each_kind(load_rows(HELDOUT)):
        sent = asyncio.run(_messages_the_generator_sends(server.url, row))
        trained = prompt_messages(row)
        assert sent == trained
        assert (
            json.dumps(sent, ensure_ascii=False).encode() == json.dumps(trained, ensure_ascii=False).encode()
        )
        # And the server renders those messages to the very text the model was trained on.
        rendered = httpx.post(f"{server.url}/apply-template", json={"messages": sent}, timeout=30).json()[
            "prompt"
        ]
        assert rendered == render_prompt(smollm2_tokenizer, trained)
