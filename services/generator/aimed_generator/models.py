"""The generator's wire protocol: request and response bodies of every route."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aimed_contracts.prompts import AngleSpec, ContextPassage, GenerationTask, TaskName
from aimed_generator.config import Policy


class ContextIn(BaseModel):
    """One guideline excerpt; `id` is the caller's (e.g. the scheduler's context id), echoed back."""

    model_config = ConfigDict(extra="forbid")

    id: int | str | None = None
    label: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=200_000)


class CardRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: TaskName
    topic: str = Field(min_length=1, max_length=300)
    contexts: list[ContextIn] = Field(min_length=1, max_length=100)
    level: Literal[1, 2] = 1
    angle: AngleSpec | None = None
    seed: int | None = Field(
        default=None, ge=0, lt=2**31, description="Seed of the first attempt; +1 per retry."
    )
    max_tokens: int | None = Field(default=None, ge=16, le=8192, description="Completion budget per attempt.")
    policy: Policy | None = Field(default=None, description="Default: the service's AIMED_GENERATOR_POLICY.")
    max_attempts: int | None = Field(
        default=None, ge=1, le=10, description="At most the service's AIMED_GENERATOR_MAX_ATTEMPTS."
    )

    @model_validator(mode="after")
    def _variant_needs_angle(self) -> CardRequest:
        if self.task == "variant" and self.angle is None:
            raise ValueError("task 'variant' needs an angle: {perspective, failed_question?}")
        return self

    def generation_task(self) -> GenerationTask:
        return GenerationTask(
            task=self.task,
            topic=self.topic,
            contexts=[ContextPassage(text=c.text, label=c.label) for c in self.contexts],
            level=self.level,
            angle=self.angle,
        )


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


class CardResponse(BaseModel):
    card: dict[str, Any]
    markdown: str
    grounding_report: dict[str, Any]
    model_id: str
    usage: Usage
    timings: Timings
    attempts: int
    attempt_reports: list[AttemptReport]
    contexts_used: list[ContextUsed]
    context_budget: dict[str, Any]
    generation: GenerationInfo
    policy: Policy


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: dict[str, Any]
    context: str | list[str] = Field(description="The context text, or its passages.")
    topic: str | None = Field(
        default=None,
        max_length=300,
        description="The topic title the card was written for: its words are not inventions.",
    )


class BackendHealth(BaseModel):
    kind: str
    url: str
    reachable: bool
    model_loaded: bool = False
    model_id: str | None = None
    n_ctx_slot: int | None = None
    slots: int | None = None
    slots_idle: int | None = None
    error: str | None = None


class AdmissionHealth(BaseModel):
    slots: int
    in_flight: int
    queued: int
    max_queue: int


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="`ok`: the model server answers; `degraded`: this process is up but cannot generate."
    )
    service: Literal["generator"] = "generator"
    backend: BackendHealth
    admission: AdmissionHealth
