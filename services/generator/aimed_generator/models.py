"""The generator's wire protocol: request and response bodies of every route.

A card request becomes a task and options for `aimed_cardgen`, and its result becomes
the response; the report models inside the response are the library's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aimed_cardgen import CardResult, GenerationOptions, Policy
from aimed_cardgen.results import AttemptReport, ContextUsed, GenerationInfo, Timings, Usage
from aimed_contracts.prompts import AngleSpec, ContextPassage, GenerationTask, TaskName
from aimed_generator.config import Settings


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

    def generation_options(self, settings: Settings) -> GenerationOptions:
        """The request's options, the service's defaults where it names none; never more
        attempts than the service allows."""
        return GenerationOptions(
            policy=self.policy or settings.policy,
            attempts=min(self.max_attempts or settings.max_attempts, settings.max_attempts),
            max_tokens=self.max_tokens or settings.max_tokens,
            seed=self.seed,
            context_ids=[c.id for c in self.contexts],
        )


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

    @classmethod
    def from_result(cls, result: CardResult) -> CardResponse:
        return cls(
            card=result.card.model_dump(mode="json"),
            markdown=result.markdown,
            grounding_report=result.grounding_report,
            model_id=result.model_id,
            usage=result.usage,
            timings=result.timings,
            attempts=result.attempts,
            attempt_reports=result.attempt_reports,
            contexts_used=result.contexts_used,
            context_budget=result.context_budget,
            generation=result.generation,
            policy=result.policy,
        )


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
