"""What the learner sees while a card is written: tokens so far out of an estimate, the
speed, the time left, and whether the model is slow.

The generator counts the tokens of each generation the gateway named
(`GET /v1/generations/{id}`); this turns them into the `progress` of a `generating`
answer of `GET /study/next`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from aimed_contracts.errors import ServiceError
from aimed_gateway.upstream import Generator

log = logging.getLogger("aimed.gateway.progress")

# A card's usual length in tokens: the gold cards' median JSON length (2,223, 1,653 and
# 1,930 characters; docs/benchmarks.md) at ~3.5 characters per token of Spanish prose.
TYPICAL_TOKENS = {"battlecard": 640, "drill_mcq": 470, "drill_open": 550}
# Slower than this, or longer than this to go, and the learner is told the model is slow.
SLOW_TOKENS_PER_S = 4.0
SLOW_ETA_S = 60.0
PROGRESS_TIMEOUT_S = 2.0


class CardProgress(BaseModel):
    """One card being written, as `GET /study/next` reports it while `generating`."""

    kind: Literal["battlecard", "drill_mcq", "drill_open"]
    state: Literal["queued", "writing", "done"] = Field(
        description="`queued`: waiting for a free slot of the model or its prompt; `writing`: tokens coming."
    )
    attempt: int = Field(description="1 for the first attempt; more when a refused card is written again.")
    tokens: int = Field(description="Tokens of this attempt so far.")
    estimated_tokens: int = Field(
        description="Expected length: the kind's usual length, capped by max_tokens, raised once passed."
    )
    tokens_per_s: float | None = None
    elapsed_s: float
    eta_s: float | None = Field(default=None, description="Seconds left at the current speed.")
    slow: bool = Field(description=f"Under {SLOW_TOKENS_PER_S:g} tokens/s or over {SLOW_ETA_S:g} s to go.")


def card_progress(kind: str, status: dict[str, Any]) -> CardProgress:
    """The learner's view of the generator's status of one generation."""
    tokens = int(status.get("tokens") or 0)
    max_tokens = status.get("max_tokens")
    estimate = TYPICAL_TOKENS.get(kind, 600)
    if tokens >= estimate:
        # Longer than usual: keep the bar short of full until the card is there.
        estimate = int(tokens * 1.15) + 1
    if max_tokens:
        estimate = min(estimate, int(max_tokens))
    estimate = max(estimate, tokens, 1)
    speed = status.get("tokens_per_s")
    speed = float(speed) if speed else None
    eta = round((estimate - tokens) / speed, 1) if speed else None
    slow = (speed is not None and speed < SLOW_TOKENS_PER_S) or (eta is not None and eta > SLOW_ETA_S)
    return CardProgress(
        kind=kind,  # type: ignore[arg-type]
        state=status.get("state") or "queued",
        attempt=int(status.get("attempt") or 0),
        tokens=tokens,
        estimated_tokens=estimate,
        tokens_per_s=speed,
        elapsed_s=float(status.get("elapsed_s") or 0.0),
        eta_s=eta,
        slow=slow,
    )


async def read_progress(generator: Generator, generation_id: str, kind: str) -> CardProgress | None:
    """The progress of one named generation; None when the generator cannot say (it is only a hint)."""
    try:
        status = await generator.get_json(f"/v1/generations/{generation_id}", timeout_s=PROGRESS_TIMEOUT_S)
    except ServiceError as exc:
        log.debug("no progress for %s: %s", generation_id, exc.message)
        return None
    return card_progress(kind, status)
