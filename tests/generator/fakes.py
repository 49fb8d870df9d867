"""A scripted model backend for unit tests (the real one is tested against llama-server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aimed_cardgen.model_server import BackendKind, Completion, CompletionRequest, Messages, ServerInfo

Answer = str | dict[str, Any] | Exception


def words(text: str) -> int:
    """The fake tokenizer: one token per whitespace-separated word."""
    return len(text.split())


@dataclass
class FakeBackend:
    """Answers from `answers` in order (the last one repeats); records every call."""

    answers: list[Answer] = field(default_factory=list)
    n_ctx_slot: int = 4096
    slots: int = 1
    kind: BackendKind = BackendKind.llama_server
    base_url: str = "http://fake-llama"
    down: Exception | None = None
    # Set to make complete() wait until the test releases it.
    gate: asyncio.Event | None = None
    on_complete: Callable[[], None] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def info(self, *, refresh: bool = False) -> ServerInfo:
        if self.down is not None:
            raise self.down
        return ServerInfo("fake-model.gguf", self.n_ctx_slot, self.slots, exact_token_counts=True)

    async def health(self) -> dict[str, Any]:
        info = await self.info()
        return info.health(slots_idle=info.slots)

    async def count_tokens(self, text: str) -> int:
        return words(text)

    async def count_prompt_tokens(self, messages: Messages) -> int:
        return sum(words(m["content"]) + 4 for m in messages)

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.down is not None:
            raise self.down
        self.calls.append(
            {
                "messages": request.messages,
                "schema": request.schema,
                "seed": request.seed,
                "max_tokens": request.max_tokens,
                "slot": request.slot,
            }
        )
        if self.on_complete is not None:
            self.on_complete()
        if self.gate is not None:
            await self.gate.wait()
        answer = self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return Completion(
            text=text,
            finish_reason="stop",
            prompt_tokens=await self.count_prompt_tokens(request.messages),
            completion_tokens=words(text),
            prompt_ms=1.0,
            generation_ms=10.0,
            tokens_per_s=words(text) / 0.01,
            model_id="fake-model.gguf",
        )
