"""One card, end to end: admission, context budget, attempts, the gate, the verdict.

`CardGenerator.generate(task, options)` returns the card the verdict chose, or raises
the refusal (`errors`); `draft(task, options)` runs the same attempts and returns them
all, judged, with no verdict (an evaluation reads every answer, good or bad). A failing
answer is retried with the next seed, up to `options.attempts`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aimed_cardgen.admission import Admission
from aimed_cardgen.claim_judge import ClaimJudge
from aimed_cardgen.context_budget import FittedPrompt, fit_prompt
from aimed_cardgen.hooks import GenerationMetrics
from aimed_cardgen.model_server import CompletionRequest, ModelBackend
from aimed_cardgen.output_schema import SourceChoices, source_choices, structured_output_schema
from aimed_cardgen.results import CardResult, ContextUsed, GenerationInfo, Policy, Timings, Usage
from aimed_cardgen.slot_affinity import SlotAffinity, prefix_key
from aimed_cardgen.verdict import Attempt, choose, judge
from aimed_contracts.errors import ServiceError
from aimed_contracts.grounding import prepare_context
from aimed_contracts.markdown import render_markdown
from aimed_contracts.prompts import GenerationTask

SEED_SPACE = 2**31


@dataclass(frozen=True)
class GenerationOptions:
    """How one card is asked for; every default is the generator service's."""

    policy: Policy = Policy.strict
    attempts: int = 3
    # Sources are whole sentences of the context (an enum), so a card is longer than when
    # the model wrote short quotes: the gold cards take up to 977 tokens (BattleCard), 896
    # (open drill) and 755 (MCQ) in the demo model's tokenizer; 768 cut most BattleCards.
    max_tokens: int = 1280
    # Seed of the first attempt, +1 per retry; None: a random one.
    seed: int | None = None
    # Off: the model server gets no `response_format` (the answers are judged all the same).
    schema: bool = True
    # The caller's name for each context (echoed in `contexts_used`), in the task's order.
    context_ids: Sequence[int | str | None] = ()


@dataclass
class Drafts:
    """Every attempt of one request, judged, and what it took to make them."""

    task: GenerationTask
    fitted: FittedPrompt
    choices: SourceChoices
    attempts: list[Attempt]
    contexts_used: list[ContextUsed]
    started: float
    queue_s: float
    budget_ms: float
    gate_ms: float


def _sum_known(values: Iterable[int | None]) -> int | None:
    """The sum, or None when the server reported none of the values."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class CardGenerator:
    """Opened by `aimed_cardgen.open_generator`, which wires the backend and the hooks."""

    def __init__(
        self,
        backend: ModelBackend,
        admission: Admission,
        metrics: GenerationMetrics,
        *,
        temperature: float,
        prompt_margin_tokens: int,
        claim_judge: ClaimJudge | None = None,
    ) -> None:
        self.backend = backend
        self.admission = admission
        self.metrics = metrics
        self.temperature = temperature
        self.prompt_margin_tokens = prompt_margin_tokens
        self.slots = SlotAffinity()
        self.claim_judge = claim_judge

    async def generate(self, task: GenerationTask, options: GenerationOptions) -> CardResult:
        try:
            drafts = await self.draft(task, options)
            return self._result(drafts, options.policy)
        except ServiceError as exc:
            self.metrics.count_refusal(exc.error_type)
            raise

    async def draft(self, task: GenerationTask, options: GenerationOptions) -> Drafts:
        """The attempts, up to the first valid one; raises only when no answer could be had
        (busy, context too large, model server down or too slow)."""
        started = time.perf_counter()
        kind = task.card_kind
        base_seed = options.seed if options.seed is not None else secrets.randbelow(SEED_SPACE)

        async with self.admission.slot() as queue_s:
            info = await self.backend.info()
            if info.slots != self.admission.capacity:
                self.admission.resize(info.slots)
            budget_start = time.perf_counter()
            fitted = await fit_prompt(
                task,
                self.backend,
                n_ctx_slot=info.n_ctx_slot,
                max_tokens=options.max_tokens,
                margin_tokens=self.prompt_margin_tokens,
            )
            # The enum offers the sentences of the passages the model sees, nothing else.
            choices = await asyncio.to_thread(source_choices, fitted.task)
            schema = structured_output_schema(fitted.task, choices) if options.schema else None
            budget_ms = (time.perf_counter() - budget_start) * 1000
            contexts = [c.text for c in fitted.task.contexts]
            # The gate learns the context (words, numbers, sentences) in a worker thread while
            # the model writes, so the first card of a new context costs the gate what any
            # later card costs; awaited before the first judgement, so nothing is learned twice.
            preparing = asyncio.create_task(
                asyncio.to_thread(prepare_context, contexts, topic=fitted.task.topic)
            )
            attempts: list[Attempt] = []
            gate_ms = 0.0
            # The slot that served this topic's last card still holds its prompt (slot_affinity).
            with self.slots.slot(prefix_key(fitted.task), info.slots) as slot:
                for number in range(1, options.attempts + 1):
                    seed = (base_seed + number - 1) % SEED_SPACE
                    try:
                        completion = await self.backend.complete(
                            CompletionRequest(
                                fitted.messages,
                                schema=schema,
                                schema_name=f"aimed_{kind}",
                                seed=seed,
                                max_tokens=options.max_tokens,
                                temperature=self.temperature,
                                slot=slot,
                            )
                        )
                    except BaseException:
                        await asyncio.gather(preparing, return_exceptions=True)
                        raise
                    await preparing
                    gate_start = time.perf_counter()
                    judgement = await asyncio.to_thread(judge, completion.text, fitted.task, contexts)
                    gate_ms += (time.perf_counter() - gate_start) * 1000
                    if self.claim_judge is not None:
                        judgement = await self.claim_judge.review_judgement(judgement, fitted.task, contexts)
                    attempts.append(Attempt(number, seed, completion, judgement))
                    self.metrics.count_attempt(
                        prompt_tokens=completion.prompt_tokens,
                        completion_tokens=completion.completion_tokens,
                        outcome="valid"
                        if judgement.valid
                        else ("ungrounded" if judgement.card is not None else "invalid"),
                        retry=number > 1,
                    )
                    if judgement.valid:
                        break

        ids = list(options.context_ids)
        contexts_used = [
            ContextUsed(index=index, id=ids[index] if index < len(ids) else None, passages=passages)
            for index, passages in fitted.passages_by_context.items()
        ]
        return Drafts(
            task, fitted, choices, attempts, contexts_used, started, queue_s, budget_ms, gate_ms
        )  # fmt: skip

    def _result(self, drafts: Drafts, policy: Policy) -> CardResult:
        attempts = drafts.attempts
        kind = drafts.task.card_kind
        chosen = choose(
            attempts,
            policy,
            kind,
            context={
                "contexts_used": [c.model_dump() for c in drafts.contexts_used],
                "context_budget": drafts.fitted.budget.as_dict(),
                "generation": drafts.choices.as_dict(),
            },
        )
        card = chosen.judgement.card
        assert card is not None  # choose only returns a parsed card
        self.metrics.count_card(kind, grounded=chosen.judgement.valid)
        generation_ms = sum(a.completion.generation_ms + (a.completion.prompt_ms or 0.0) for a in attempts)
        completion_tokens = sum(a.completion.completion_tokens for a in attempts)
        predicted_ms = sum(a.completion.generation_ms for a in attempts)
        return CardResult(
            card=card,
            markdown=render_markdown(card),
            grounding_report=chosen.judgement.report,
            model_id=chosen.completion.model_id,
            usage=Usage(
                prompt_tokens=sum(a.completion.prompt_tokens for a in attempts),
                completion_tokens=completion_tokens,
                cached_prompt_tokens=_sum_known(a.completion.cached_tokens for a in attempts),
            ),
            timings=Timings(
                queue_ms=round(drafts.queue_s * 1000, 2),
                budget_ms=round(drafts.budget_ms, 2),
                generation_ms=round(generation_ms, 2),
                gate_ms=round(drafts.gate_ms, 2),
                total_ms=round((time.perf_counter() - drafts.started) * 1000, 2),
                tokens_per_s=round(completion_tokens / max(predicted_ms / 1000, 1e-9), 2),
            ),
            attempt_reports=[a.report() for a in attempts],
            contexts_used=drafts.contexts_used,
            context_budget=drafts.fitted.budget.as_dict(),
            generation=GenerationInfo(**drafts.choices.as_dict()),
            policy=policy,
        )
