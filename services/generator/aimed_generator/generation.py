"""One card request, end to end: admission, context budget, attempts, the gate, the verdict.

The model server's structured output is a help, not a guarantee: llama-server
answers unconstrained text when it cannot compile a schema (fail-open), LM Studio and
Ollama may ignore parts of one, and any server may cut the JSON at max_tokens. So every
answer is parsed, validated against the card models and passed through the grounding
gate here; a failing one is retried with the next seed, up to the attempt bound.

The schema makes each `sources` item an enum of the context's sentences, so a server
that honours it can only copy; above a measured cap it falls back to bounded strings.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import ValidationError

from aimed_contracts.cards import BattleCard, CardKind, DrillMCQ, DrillOpen, card_json_schema, parse_card
from aimed_contracts.errors import ServiceError
from aimed_contracts.grounding import check_card
from aimed_contracts.markdown import render_markdown
from aimed_contracts.prompts import GenerationTask
from aimed_contracts.sentences import split_sentences
from aimed_generator.backends import Completion, ModelBackend
from aimed_generator.budget import fit_prompt
from aimed_generator.config import Policy, Settings
from aimed_generator.errors import InvalidOutput, UngroundedOutput
from aimed_generator.limiter import SlotLimiter
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.models import (
    AttemptReport,
    CardRequest,
    CardResponse,
    ContextUsed,
    GenerationInfo,
    Issue,
    Timings,
    Usage,
)
from aimed_generator.slots import SlotAffinity, prefix_key

if TYPE_CHECKING:
    from aimed_generator.claim_judge import ClaimJudge

Card: TypeAlias = BattleCard | DrillMCQ | DrillOpen
SEED_SPACE = 2**31


# JSON Schema cannot tie the number of rationales to the number of options, so under the
# grammar a model may write 5 options and 4 rationales (seen with the demo model). Asking for
# exactly 4 of each keeps the counts equal; the contract (and the gate) still allow 4–5.
MCQ_GENERATED_OPTIONS = 4

# Longest string the model may write in each field, in characters: about 1.5–2× the longest
# of the 120 reviewed gold cards (training/data/gold). A small model that loops inside a
# string ("…y la disnea y la disnea y…") is made to close it here instead of running to
# max_tokens and leaving no JSON at all. Only the generation schema carries these bounds;
# the card contract accepts longer text from other tools.
GENERATED_MAX_CHARS: dict[str, int] = {
    "sources": 400,
    "summary": 600,
    "key_points.text": 350,
    "red_flags": 250,
    "vignette": 700,
    "question": 250,
    "options": 200,
    "option_rationales": 250,
    "explanation": 600,
    "model_answer": 1000,
    "rubric.item": 250,
}


def _bound_strings(node: dict[str, Any], path: str) -> None:
    kind = node.get("type")
    if kind == "string":
        node["maxLength"] = GENERATED_MAX_CHARS[path]
    elif kind == "array":
        _bound_strings(node["items"], path)
    elif kind == "object":
        for name, child in node["properties"].items():
            _bound_strings(child, f"{path}.{name}" if path else name)


SourcesMode: TypeAlias = Literal["enum", "free"]

# Above either cap a request's `sources` go back to bounded free strings. Measured with
# the pinned llama-server (bench/generator_source_enum.py, docs/benchmarks.md), building
# the grammar stays under 0.1 s up to 1,600 sentences (a 194 kB schema), so the caps
# are a margin, not a wall: they keep a request's schema to a few tens of kilobytes
# (other servers' converters are untested at larger sizes), while a window's worth of
# guideline text (8k tokens ≈ 30k characters) stays under them.
SOURCE_ENUM_MAX_SENTENCES = 400
SOURCE_ENUM_MAX_CHARS = 40_000
# Pieces shorter than this (a bullet mark, "Tabla 2", a lone heading word) back nothing.
SOURCE_MIN_CHARS = 12


@dataclass(frozen=True)
class SourceChoices:
    """The sentences a card may cite, and whether the schema offers them as an enum."""

    mode: SourcesMode
    sentences: tuple[str, ...]
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sources_mode": self.mode, "source_sentences": len(self.sentences), "reason": self.reason}


def source_choices(task: GenerationTask) -> SourceChoices:
    """The context's sentences (`aimed_contracts.sentences`), each once, in order.

    A sentence longer than the free-string bound of `sources` is left out, as today's
    schema could not have copied it either; above the caps the mode is `free`.
    """
    seen: set[str] = set()
    sentences: list[str] = []
    for context in task.contexts:
        for sentence in split_sentences(context.text):
            if SOURCE_MIN_CHARS <= len(sentence) <= GENERATED_MAX_CHARS["sources"] and sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
    chars = sum(len(sentence) for sentence in sentences)
    if not sentences:
        return SourceChoices("free", (), "no sentence of the context fits a source")
    if len(sentences) > SOURCE_ENUM_MAX_SENTENCES or chars > SOURCE_ENUM_MAX_CHARS:
        return SourceChoices(
            "free",
            tuple(sentences),
            f"{len(sentences)} sentences, {chars} characters: above the enum cap "
            f"({SOURCE_ENUM_MAX_SENTENCES} sentences, {SOURCE_ENUM_MAX_CHARS} characters)",
        )
    return SourceChoices("enum", tuple(sentences))


def structured_output_schema(task: GenerationTask, choices: SourceChoices | None = None) -> dict[str, Any]:
    """The card schema handed to the model server as `response_format` for one request.

    Narrower than the contract: topic, level and angle are fixed to the request's (the
    model does not spend tokens on them, nor misspell them), every `sources` item is one
    of the context's sentences (`choices`, computed from the task when not given) or,
    in mode `free`, a bounded string, every other free-text field has a length bound and
    an MCQ has exactly four options and four rationales.
    """
    choices = choices or source_choices(task)
    kind = task.card_kind
    schema = card_json_schema(kind)
    properties = schema["properties"]
    fixed = {
        "topic": task.topic,
        "level": task.level,
        "angle": task.angle.perspective if task.angle else None,
    }
    for name, value in fixed.items():
        properties[name] = {"const": value}
    for name, child in properties.items():
        if name not in fixed and name not in ("schema_version", "kind"):
            _bound_strings(child, name)
    if choices.mode == "enum":
        # One definition, referenced from every alternative below: the grammar holds the
        # sentences once, not once per number of sources.
        properties["sources"]["items"] = {"$ref": "#/$defs/source_sentence"}
    if kind == "drill_mcq":
        for field in ("options", "option_rationales"):
            properties[field]["minItems"] = properties[field]["maxItems"] = MCQ_GENERATED_OPTIONS
        properties["answer_index"]["maximum"] = MCQ_GENERATED_OPTIONS - 1
    else:
        schema = _tie_source_indices(schema)
    if choices.mode == "enum":
        schema["$defs"] = {"source_sentence": {"enum": list(choices.sentences)}}
    return schema


def _tie_source_indices(schema: dict[str, Any]) -> dict[str, Any]:
    """One alternative per number of sources, each with citations that stay inside it.

    JSON Schema cannot say "`source` < len(sources)", and a model that cites source 4 of
    a card with 3 has written a card nobody can render. The sources come first, so once
    the model closes that array the grammar keeps only the alternative of its length.
    """
    sources = schema["properties"]["sources"]
    cited = "key_points" if "key_points" in schema["properties"] else "rubric"
    branches = []
    for n in range(sources["minItems"], sources["maxItems"] + 1):
        branch = copy.deepcopy(schema)
        branch["properties"]["sources"]["minItems"] = branch["properties"]["sources"]["maxItems"] = n
        branch["properties"][cited]["items"]["properties"]["source"]["maximum"] = n - 1
        branches.append(branch)
    return {"anyOf": branches}


@dataclass
class Judgement:
    """What one model answer turned out to be."""

    card: Card | None
    report: dict[str, Any]
    issues: list[Issue]

    @property
    def valid(self) -> bool:
        return self.card is not None and not self.issues


def judge(text: str, task: GenerationTask, contexts: list[str]) -> Judgement:
    """Parse, validate and gate one answer; never raises on a bad answer."""
    kind: CardKind = task.card_kind
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if data.get("kind") != kind:
            issue = Issue(
                code="wrong_kind", field="kind", message=f"asked for a {kind} card, got {data.get('kind')!r}"
            )
            return Judgement(
                None, {"valid": False, "kind": data.get("kind"), "issues": [issue.model_dump()]}, [issue]
            )
        # Topic, level and angle are the request's, not the model's to choose: a small
        # model that misspells the topic has not made a medical claim.
        data.update(topic=task.topic, level=task.level, angle=task.angle.perspective if task.angle else None)
    report = check_card(data if isinstance(data, dict) else text, contexts, topic=task.topic)
    card: Card | None = None
    if isinstance(data, dict):
        try:
            card = parse_card(data)
        except ValidationError:
            card = None  # the report names every schema problem
    issues = [Issue(code=i.code, field=i.field, message=i.message) for i in report.issues]
    return Judgement(card, report.model_dump(mode="json"), issues)


@dataclass
class _Attempt:
    number: int
    seed: int
    completion: Completion
    judgement: Judgement

    def report(self) -> AttemptReport:
        return AttemptReport(
            attempt=self.number,
            seed=self.seed,
            finish_reason=self.completion.finish_reason,
            prompt_tokens=self.completion.prompt_tokens,
            completion_tokens=self.completion.completion_tokens,
            cached_prompt_tokens=self.completion.cached_tokens,
            model_ms=round(self.completion.generation_ms + (self.completion.prompt_ms or 0.0), 2),
            valid=self.judgement.valid,
            issues=self.judgement.issues,
        )


def _sum_known(values: Iterable[int | None]) -> int | None:
    """The sum, or None when the server reported none of the values."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class CardGenerator:
    def __init__(
        self,
        backend: ModelBackend,
        limiter: SlotLimiter,
        metrics: GeneratorMetrics,
        settings: Settings,
        claim_judge: ClaimJudge | None = None,
    ) -> None:
        self.backend = backend
        self.limiter = limiter
        self.metrics = metrics
        self.settings = settings
        self.slots = SlotAffinity()
        self.claim_judge = claim_judge  # optional model judge (aimed_generator.claim_judge)

    async def generate(self, request: CardRequest) -> CardResponse:
        try:
            return await self._generate(request)
        except ServiceError as exc:
            self.metrics.refusals.labels(exc.error_type).inc()
            raise

    async def _generate(self, request: CardRequest) -> CardResponse:
        started = time.perf_counter()
        policy = request.policy or self.settings.policy
        max_tokens = request.max_tokens or self.settings.max_tokens
        max_attempts = min(request.max_attempts or self.settings.max_attempts, self.settings.max_attempts)
        task = request.generation_task()
        kind = task.card_kind
        base_seed = request.seed if request.seed is not None else secrets.randbelow(SEED_SPACE)

        async with self.limiter.slot() as queue_s:
            info = await self.backend.info()
            if info.slots != self.limiter.capacity:
                self.limiter.resize(info.slots)
            budget_start = time.perf_counter()
            fitted = await fit_prompt(
                task,
                self.backend,
                n_ctx_slot=info.n_ctx_slot,
                max_tokens=max_tokens,
                margin_tokens=self.settings.prompt_margin_tokens,
            )
            # The enum offers the sentences of the passages the model sees, nothing else.
            choices = await asyncio.to_thread(source_choices, fitted.task)
            schema = structured_output_schema(fitted.task, choices)
            budget_ms = (time.perf_counter() - budget_start) * 1000
            contexts = [c.text for c in fitted.task.contexts]
            attempts: list[_Attempt] = []
            gate_ms = 0.0
            # The slot that served this topic's last card still holds its prompt (slots.py).
            with self.slots.slot(prefix_key(fitted.task), info.slots) as slot:
                for number in range(1, max_attempts + 1):
                    seed = (base_seed + number - 1) % SEED_SPACE
                    completion = await self.backend.complete(
                        fitted.messages,
                        schema=schema,
                        schema_name=f"aimed_{kind}",
                        seed=seed,
                        max_tokens=max_tokens,
                        temperature=self.settings.temperature,
                        slot=slot,
                    )
                    gate_start = time.perf_counter()
                    judgement = await asyncio.to_thread(judge, completion.text, fitted.task, contexts)
                    gate_ms += (time.perf_counter() - gate_start) * 1000
                    if self.claim_judge is not None:
                        judgement = await self.claim_judge.review_judgement(judgement, fitted.task, contexts)
                    attempts.append(_Attempt(number, seed, completion, judgement))
                    self._count_attempt(completion, judgement, retry=number > 1)
                    if judgement.valid:
                        break

        contexts_used = [
            ContextUsed(index=index, id=request.contexts[index].id, passages=passages)
            for index, passages in fitted.passages_by_context.items()
        ]
        chosen = self._verdict(
            attempts,
            policy,
            kind,
            context={
                "contexts_used": [c.model_dump() for c in contexts_used],
                "context_budget": fitted.budget.as_dict(),
                "generation": choices.as_dict(),
            },
        )
        card = chosen.judgement.card
        assert card is not None  # _verdict only returns a parsed card
        self.metrics.cards.labels(kind, str(chosen.judgement.valid).lower()).inc()
        generation_ms = sum(a.completion.generation_ms + (a.completion.prompt_ms or 0.0) for a in attempts)
        completion_tokens = sum(a.completion.completion_tokens for a in attempts)
        predicted_ms = sum(a.completion.generation_ms for a in attempts)
        return CardResponse(
            card=card.model_dump(mode="json"),
            markdown=render_markdown(card),
            grounding_report=chosen.judgement.report,
            model_id=chosen.completion.model_id,
            usage=Usage(
                prompt_tokens=sum(a.completion.prompt_tokens for a in attempts),
                completion_tokens=completion_tokens,
                cached_prompt_tokens=_sum_known(a.completion.cached_tokens for a in attempts),
            ),
            timings=Timings(
                queue_ms=round(queue_s * 1000, 2),
                budget_ms=round(budget_ms, 2),
                generation_ms=round(generation_ms, 2),
                gate_ms=round(gate_ms, 2),
                total_ms=round((time.perf_counter() - started) * 1000, 2),
                tokens_per_s=round(completion_tokens / max(predicted_ms / 1000, 1e-9), 2),
            ),
            attempts=len(attempts),
            attempt_reports=[a.report() for a in attempts],
            contexts_used=contexts_used,
            context_budget=fitted.budget.as_dict(),
            generation=GenerationInfo(**choices.as_dict()),
            policy=policy,
        )

    def _count_attempt(self, completion: Completion, judgement: Judgement, *, retry: bool) -> None:
        self.metrics.tokens.labels("prompt").inc(completion.prompt_tokens)
        self.metrics.tokens.labels("completion").inc(completion.completion_tokens)
        outcome = "valid" if judgement.valid else ("ungrounded" if judgement.card is not None else "invalid")
        self.metrics.attempts.labels(outcome).inc()
        if retry:
            self.metrics.retries.inc()

    def _verdict(
        self, attempts: list[_Attempt], policy: Policy, kind: CardKind, *, context: dict[str, Any]
    ) -> _Attempt:
        valid = [a for a in attempts if a.judgement.valid]
        if valid:
            return valid[0]
        reports = [a.report().model_dump() for a in attempts]
        detail = {
            "kind": kind,
            "attempts": reports,
            "issues": [{"attempt": r["attempt"], **issue} for r in reports for issue in r["issues"]],
            **context,
        }
        parsed = [a for a in attempts if a.judgement.card is not None]
        if not parsed:
            raise InvalidOutput(
                f"The model produced no schema-valid {kind} card in {len(attempts)} attempt(s); "
                "see detail.issues (a cut answer needs a larger max_tokens).",
                detail=detail,
            )
        if policy is Policy.strict:
            raise UngroundedOutput(
                f"Every one of {len(attempts)} attempt(s) produced a {kind} card that fails the grounding "
                "gate; see detail.issues. Retry, give a richer context, or use a better model.",
                detail=detail,
            )
        # Policy flag: the card with the fewest problems, for tools and tests to inspect.
        return min(parsed, key=lambda a: len(a.judgement.issues))
