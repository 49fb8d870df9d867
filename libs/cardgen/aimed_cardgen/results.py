"""What one card generation gives back: the card, its reports, and what it cost.

The report models are the generator service's wire shapes too (its `CardResponse` is
built from them), so a field documented here is documented in its OpenAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from aimed_contracts.cards import BattleCard, DrillMCQ, DrillOpen

Card: TypeAlias = BattleCard | DrillMCQ | DrillOpen


# `strict` refuses ungrounded cards; `flag` returns the least bad one with its report. (No
# docstring: it would become the enum's description in the generator's OpenAPI.)
class Policy(StrEnum):
    strict = "strict"
    flag = "flag"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    cached_prompt_tokens: int | None = Field(
        default=None,
        description="Prompt tokens the server took from its prompt cache instead of evaluating "
        "(llama-server's `timings.cache_n`); null when the server does not say.",
    )


class Timings(BaseModel):
    queue_ms: float = Field(description="Waiting for a free slot.")
    budget_ms: float = Field(description="Counting tokens and selecting passages.")
    generation_ms: float = Field(description="Model time over all attempts (prompt + completion).")
    gate_ms: float = Field(description="Parsing and the grounding gate over all attempts.")
    total_ms: float
    tokens_per_s: float = Field(description="Completion tokens per second of model time.")


class ContextUsed(BaseModel):
    index: int = Field(description="Position of the context in the request.")
    id: int | str | None
    passages: list[int] | None = Field(
        description="Passages kept (paragraph order, from 0) when the context did not fit; null: all of it."
    )


class Issue(BaseModel):
    code: str
    field: str | None
    message: str


class AttemptReport(BaseModel):
    attempt: int
    seed: int
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cached_prompt_tokens: int | None = Field(
        default=None, description="Of `prompt_tokens`, those served from the server's prompt cache."
    )
    model_ms: float = Field(description="Time the model server spent on this attempt (prompt + completion).")
    valid: bool
    issues: list[Issue]


class GenerationInfo(BaseModel):
    sources_mode: Literal["enum", "free"] = Field(
        description="`enum`: the schema let the model pick `sources` only among the context's "
        "sentences; `free`: bounded strings (the context was above the enum cap, see `reason`)."
    )
    source_sentences: int = Field(description="Sentences of the context offered as sources.")
    reason: str | None = Field(default=None, description="Why the sources are free strings, if they are.")


@dataclass(frozen=True)
class CardResult:
    """The card the verdict chose, with everything a caller reports about it."""

    card: Card
    markdown: str
    grounding_report: dict[str, Any]
    model_id: str
    usage: Usage
    timings: Timings
    attempt_reports: list[AttemptReport]
    contexts_used: list[ContextUsed]
    context_budget: dict[str, Any]
    generation: GenerationInfo
    policy: Policy

    @property
    def attempts(self) -> int:
        return len(self.attempt_reports)
