"""Streamed completions: a card's tokens counted as they come, for whoever follows it.

A caller that wants a card's progress (the generator service's `GET /v1/generations/{id}`)
sets a `TokenProgress` as the current one with `followed`; while it is current, the
backend streams the completion whose schema name it follows (`stream: true`, server-sent
events) and feeds it each token. Other completions (the claim judge's) are not followed,
so the count is always of the card the learner waits for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol


class TokenProgress(Protocol):
    """What a streamed completion reports to: its attempts and its tokens."""

    tokens: int

    @property
    def schema_name(self) -> str:
        """The completion this progress follows (a card's is `aimed_<kind>`)."""
        ...

    def begin_attempt(self, max_tokens: int) -> None: ...

    def add_tokens(self, count: int) -> None: ...


CURRENT: ContextVar[TokenProgress | None] = ContextVar("aimed_generation_progress", default=None)


@contextmanager
def followed(progress: TokenProgress) -> Iterator[TokenProgress]:
    """Makes `progress` the one this task's completions report to, for the body."""
    token = CURRENT.set(progress)
    try:
        yield progress
    finally:
        CURRENT.reset(token)


def following(schema_name: str) -> TokenProgress | None:
    """The progress to feed for a completion with this schema name, if one is being followed."""
    progress = CURRENT.get()
    return progress if progress is not None and progress.schema_name == schema_name else None


class StreamedChat:
    """Builds a non-streamed chat completion's answer from a stream of server-sent events.

    llama-server, LM Studio and Ollama send `data: {chunk}` lines, each chunk with
    `choices[0].delta.content`; the last ones carry `finish_reason`, `usage`
    (`stream_options.include_usage`) and llama-server's `timings`; `data: [DONE]` ends it.
    """

    def __init__(self, progress: TokenProgress) -> None:
        self.progress = progress
        self.parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] = {}
        self.timings: dict[str, Any] = {}
        self.model: str | None = None

    def feed_line(self, line: str) -> None:
        """One line of the event stream; anything but a `data:` line with a JSON chunk is ignored."""
        if not line.startswith("data:"):
            return
        data = line[5:].strip()
        if not data or data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            return
        if not isinstance(chunk, dict):
            return
        self.model = chunk.get("model") or self.model
        self.usage = chunk.get("usage") or self.usage
        self.timings = chunk.get("timings") or self.timings
        for choice in chunk.get("choices") or []:
            delta = (choice or {}).get("delta") or {}
            content = delta.get("content")
            if content:
                self.parts.append(content)
                # llama-server sends one token per event; other servers may batch a few,
                # which only makes the count (and the bar) move in larger steps.
                self.progress.add_tokens(1)
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])

    def answer(self) -> dict[str, Any]:
        """The same shape as a non-streamed answer, for the backend's one parser."""
        usage = dict(self.usage)
        usage.setdefault("completion_tokens", self.progress.tokens)
        payload: dict[str, Any] = {
            "choices": [
                {
                    "message": {"content": "".join(self.parts)},
                    "finish_reason": self.finish_reason or "unknown",
                }
            ],
            "usage": usage,
            "timings": self.timings,
        }
        if self.model:
            payload["model"] = self.model
        return payload
