"""The one factory of the card-generation library, its hooks and its schema switch,
over a scripted model server (the real one: tests/generator/test_llama_integration.py)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from aimed_cardgen import (
    BackendKind,
    CardGeneratorConfig,
    CardResult,
    Drafts,
    GenerationOptions,
    ModelServerConfig,
    Policy,
    SlotLimiter,
    open_generator,
)
from aimed_cardgen.errors import InvalidOutput, UngroundedOutput
from aimed_cardgen.hooks import AttemptOutcome
from aimed_cardgen.model_server import LlamaServerBackend, OpenAICompatibleBackend
from aimed_contracts import grounding
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_DRILL_MCQ, EXAMPLE_TOPIC
from aimed_contracts.prompts import ContextPassage, GenerationTask
from tests.generator.fakes import FakeBackend

TASK = GenerationTask(task="drill", topic=EXAMPLE_TOPIC, contexts=[ContextPassage(text=EXAMPLE_CONTEXT)])


def _ungrounded_mcq() -> dict[str, Any]:
    card = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    card["explanation"] = "La dosis es de 850 mg cada 12 horas."
    return card


class RecordedMetrics:
    def __init__(self) -> None:
        self.attempts: list[tuple[AttemptOutcome, bool]] = []
        self.tokens = 0
        self.cards: list[tuple[str, bool]] = []
        self.refusals: list[str] = []

    def count_attempt(
        self, *, prompt_tokens: int, completion_tokens: int, outcome: AttemptOutcome, retry: bool
    ) -> None:
        self.attempts.append((outcome, retry))
        self.tokens += prompt_tokens + completion_tokens

    def count_card(self, kind: str, *, grounded: bool) -> None:
        self.cards.append((kind, grounded))

    def count_refusal(self, error_type: str) -> None:
        self.refusals.append(error_type)


class RecordedAdmission:
    def __init__(self) -> None:
        self.capacity = 1
        self.held = 0
        self.resized: list[int] = []

    def resize(self, capacity: int) -> None:
        self.resized.append(capacity)
        self.capacity = capacity

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        self.held += 1
        yield 0.25


async def _generate(backend: FakeBackend, options: GenerationOptions, **hooks: Any) -> CardResult:
    async with open_generator(CardGeneratorConfig(), backend=backend, **hooks) as generator:
        return await generator.generate(TASK, options)


def test_the_factory_opens_a_generator_on_a_given_backend() -> None:
    backend = FakeBackend(answers=[EXAMPLE_DRILL_MCQ])
    result = asyncio.run(_generate(backend, GenerationOptions(seed=100, context_ids=[7])))
    assert result.card.kind == "drill_mcq"
    assert result.grounding_report["valid"] is True
    assert result.attempts == 1
    assert result.policy is Policy.strict
    assert result.markdown.startswith("#")
    assert result.model_id == "fake-model.gguf"
    assert [c.model_dump() for c in result.contexts_used] == [{"index": 0, "id": 7, "passages": None}]
    assert result.usage.prompt_tokens > 0 and result.timings.tokens_per_s > 0
    [call] = backend.calls
    assert call["seed"] == 100
    assert call["max_tokens"] == GenerationOptions().max_tokens
    assert call["schema"]["properties"]["kind"]["const"] == "drill_mcq"


def test_the_factory_opens_the_backend_and_judge_its_config_names() -> None:
    async def opened(config: CardGeneratorConfig) -> dict[str, Any]:
        async with open_generator(config) as generator:
            backend: Any = generator.backend
            judge: Any = generator.claim_judge.backend if generator.claim_judge else None
            return {
                "backend": type(backend),
                "url": backend.base_url,
                "authorization": backend.client.headers.get("Authorization"),
                "read_timeout_s": backend.client.timeout.read,
                "admission": type(generator.admission),
                "max_queue": getattr(generator.admission, "max_queue", None),
                "judge_url": judge.base_url if judge else None,
                "judge_read_timeout_s": judge.client.timeout.read if judge else None,
            }

    plain = asyncio.run(opened(CardGeneratorConfig(server=ModelServerConfig(base_url="http://llama:8088/"))))
    assert plain == {
        "backend": LlamaServerBackend,
        "url": "http://llama:8088",
        "authorization": None,
        "read_timeout_s": 120.0,
        "admission": SlotLimiter,
        "max_queue": 8,
        "judge_url": None,
        "judge_read_timeout_s": None,
    }
    server = ModelServerConfig(
        base_url="http://lmstudio:1234", backend=BackendKind.openai, api_key="k1", request_timeout_s=300
    )
    judge = ModelServerConfig(base_url="http://judge:1234", backend=BackendKind.openai, request_timeout_s=45)
    apart = asyncio.run(opened(CardGeneratorConfig(server=server, judge=judge, max_queue=2)))
    assert apart == {
        "backend": OpenAICompatibleBackend,
        "url": "http://lmstudio:1234",
        "authorization": "Bearer k1",
        "read_timeout_s": 300,
        "admission": SlotLimiter,
        "max_queue": 2,
        "judge_url": "http://judge:1234",
        "judge_read_timeout_s": 45,
    }


def test_the_metrics_hook_counts_attempts_retries_and_the_card() -> None:
    backend = FakeBackend(answers=["no es JSON", _ungrounded_mcq(), EXAMPLE_DRILL_MCQ])
    metrics = RecordedMetrics()
    result = asyncio.run(_generate(backend, GenerationOptions(seed=1), metrics=metrics))
    assert result.attempts == 3
    assert metrics.attempts == [("invalid", False), ("ungrounded", True), ("valid", True)]
    assert metrics.tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert metrics.cards == [("drill_mcq", True)]
    assert metrics.refusals == []


def test_the_metrics_hook_counts_a_refusal_by_its_type() -> None:
    metrics = RecordedMetrics()
    with pytest.raises(UngroundedOutput):
        asyncio.run(
            _generate(
                FakeBackend(answers=[_ungrounded_mcq()]), GenerationOptions(attempts=2), metrics=metrics
            )
        )
    with pytest.raises(InvalidOutput):
        asyncio.run(_generate(FakeBackend(answers=["{"]), GenerationOptions(attempts=1), metrics=metrics))
    assert metrics.refusals == ["ungrounded_output", "invalid_output"]
    assert metrics.cards == []


def test_policy_flag_returns_the_ungrounded_card_with_its_report() -> None:
    metrics = RecordedMetrics()
    result = asyncio.run(
        _generate(
            FakeBackend(answers=[_ungrounded_mcq()]),
            GenerationOptions(policy=Policy.flag, attempts=2),
            metrics=metrics,
        )
    )
    assert result.grounding_report["valid"] is False and result.attempts == 2
    assert metrics.cards == [("drill_mcq", False)]


def test_the_admission_hook_holds_one_slot_per_card_and_learns_the_server_slots() -> None:
    admission = RecordedAdmission()
    backend = FakeBackend(answers=[_ungrounded_mcq(), EXAMPLE_DRILL_MCQ], slots=3)
    result = asyncio.run(_generate(backend, GenerationOptions(), admission=admission))
    assert result.attempts == 2
    assert admission.held == 1
    assert admission.resized == [3]
    assert result.timings.queue_ms == 250.0
    # A slot of llama-server is asked for by id (the topic's, slot_affinity).
    assert [call["slot"] for call in backend.calls] == [0, 0]


def test_schema_off_sends_the_same_prompt_without_response_format() -> None:
    async def draft(backend: FakeBackend, schema: bool) -> Drafts:
        async with open_generator(CardGeneratorConfig(), backend=backend) as generator:
            return await generator.draft(TASK, GenerationOptions(seed=9, attempts=1, schema=schema))

    with_schema, without = FakeBackend(answers=[EXAMPLE_DRILL_MCQ]), FakeBackend(answers=[EXAMPLE_DRILL_MCQ])
    on = asyncio.run(draft(with_schema, True))
    off = asyncio.run(draft(without, False))
    assert with_schema.calls[0]["schema"] is not None
    assert without.calls[0]["schema"] is None
    assert without.calls[0]["messages"] == with_schema.calls[0]["messages"]
    assert without.calls[0]["seed"] == 9
    # Judged all the same: the answer, the card and the gate's verdict.
    [attempt] = off.attempts
    assert attempt.completion.text == on.attempts[0].completion.text
    assert attempt.judgement.valid and attempt.judgement.card is not None


def test_a_draft_keeps_a_bad_answer_that_generate_refuses() -> None:
    async def draft() -> Drafts:
        backend = FakeBackend(answers=["no es JSON"])
        async with open_generator(CardGeneratorConfig(), backend=backend) as generator:
            return await generator.draft(TASK, GenerationOptions(attempts=1, schema=False))

    [attempt] = asyncio.run(draft()).attempts
    assert attempt.completion.text == "no es JSON"
    assert attempt.judgement.card is None and not attempt.judgement.valid


def test_the_gate_learns_the_context_while_the_model_writes() -> None:
    """A new context is indexed (words, numbers, sentences) in a worker thread during the
    first attempt, so the judgement after it finds the context learned and only checks the card."""
    context_index: Any = grounding._context_index
    context_index.cache_clear()

    async def run() -> tuple[int, CardResult]:
        backend = FakeBackend(answers=[EXAMPLE_DRILL_MCQ], gate=asyncio.Event())
        async with open_generator(CardGeneratorConfig(), backend=backend) as generator:
            card = asyncio.create_task(generator.generate(TASK, GenerationOptions(seed=3)))
            for _ in range(500):  # the model is still "writing" (held at the gate)
                if context_index.cache_info().currsize:
                    break
                await asyncio.sleep(0.01)
            learned_while_writing = context_index.cache_info().currsize
            assert not card.done() and len(backend.calls) == 1
            backend.gate.set()
            return learned_while_writing, await card

    learned_while_writing, result = asyncio.run(run())
    assert learned_while_writing == 1
    assert result.grounding_report["valid"] is True
    info = context_index.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # learned once, found by the judgement
