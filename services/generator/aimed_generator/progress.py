"""Progress of the cards being written: tokens so far and tokens per second, while it lasts.

The gateway names each generation it asks for (`X-Generation-Id` on `POST /v1/cards`);
while that card's completion runs, the backend streams it from the model server
(`stream: true`, server-sent events: `aimed_cardgen.streaming`) and counts the tokens here, and
`GET /v1/generations/{id}` reads them. A finished generation stays readable for a minute
(the gateway's last poll may come after the card is stored), then is forgotten.

Only the card's own completion is followed, not the optional claim judge's (another
schema name), so the count is always of the card the learner waits for.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from aimed_cardgen.streaming import followed

# How long a finished generation stays readable, and how many are kept at most.
KEEP_FINISHED_S = 60.0
MAX_TRACKED = 512


class GenerationStatus(BaseModel):
    """`GET /v1/generations/{id}`: one card's completion as it is being written."""

    id: str
    kind: str = Field(description="The card kind being written: battlecard, drill_mcq or drill_open.")
    state: str = Field(description="`queued` (waiting for a slot or the prompt), `writing`, `done`.")
    attempt: int = Field(description="Which attempt is being written (a refused one is tried again).")
    tokens: int = Field(description="Tokens of this attempt received so far.")
    max_tokens: int | None = Field(description="The attempt's completion budget (None before it starts).")
    tokens_per_s: float | None = Field(description="Since the first token of this attempt; None before two.")
    elapsed_s: float = Field(description="Since the generator received the request.")


@dataclass
class GenerationProgress:
    id: str
    kind: str
    started: float = field(default_factory=time.monotonic)
    attempt: int = 0
    tokens: int = 0
    max_tokens: int | None = None
    first_token_at: float | None = None
    last_token_at: float | None = None
    finished_at: float | None = None

    @property
    def schema_name(self) -> str:
        """The completion this progress follows: the card's (aimed_cardgen names it `aimed_<kind>`)."""
        return f"aimed_{self.kind}"

    def begin_attempt(self, max_tokens: int) -> None:
        self.attempt += 1
        self.tokens = 0
        self.max_tokens = max_tokens
        self.first_token_at = self.last_token_at = None

    def add_tokens(self, count: int) -> None:
        now = time.monotonic()
        if self.first_token_at is None:
            self.first_token_at = now
        self.tokens += count
        self.last_token_at = now

    def tokens_per_s(self) -> float | None:
        if self.first_token_at is None or self.last_token_at is None or self.tokens < 2:
            return None
        span = self.last_token_at - self.first_token_at
        # The first token's own time is not in the span: tokens - 1 intervals.
        return round((self.tokens - 1) / span, 2) if span > 0 else None

    def status(self) -> GenerationStatus:
        state = "done" if self.finished_at is not None else "writing" if self.tokens else "queued"
        return GenerationStatus(
            id=self.id,
            kind=self.kind,
            state=state,
            attempt=self.attempt,
            tokens=self.tokens,
            max_tokens=self.max_tokens,
            tokens_per_s=self.tokens_per_s(),
            elapsed_s=round((self.finished_at or time.monotonic()) - self.started, 2),
        )


class ProgressBoard:
    """The generations of this process by id (bounded: the oldest are forgotten first)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, GenerationProgress] = OrderedDict()

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [
            k for k, p in self._entries.items() if p.finished_at and now - p.finished_at > KEEP_FINISHED_S
        ]:
            del self._entries[key]
        while len(self._entries) > MAX_TRACKED:
            self._entries.popitem(last=False)

    @contextmanager
    def track(self, generation_id: str | None, kind: str) -> Iterator[GenerationProgress | None]:
        """Follows one card generation (nothing without an id); the backend streams while it is current."""
        if generation_id is None:
            yield None
            return
        self._expire()
        progress = GenerationProgress(generation_id, kind)
        self._entries[generation_id] = progress
        try:
            with followed(progress):
                yield progress
        finally:
            progress.finished_at = time.monotonic()

    def get(self, generation_id: str) -> GenerationProgress | None:
        self._expire()
        return self._entries.get(generation_id)
