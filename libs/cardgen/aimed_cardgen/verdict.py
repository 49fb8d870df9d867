"""What an answer is worth: one attempt's judgement, and the verdict over all attempts.

Every answer is parsed, validated against the card models and passed through the
grounding gate (`judge`), whatever the model server promised about its schema. The
verdict (`choose`) takes the first valid attempt; failing that, policy `strict`
refuses and `flag` returns the parsed card with the fewest problems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from aimed_cardgen.errors import InvalidOutput, UngroundedOutput
from aimed_cardgen.model_server import Completion
from aimed_cardgen.results import AttemptReport, Card, Issue, Policy
from aimed_contracts.cards import CardKind, parse_card
from aimed_contracts.grounding import check_card
from aimed_contracts.prompts import GenerationTask


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
class Attempt:
    """One answer of the model server and what it turned out to be."""

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


def choose(attempts: list[Attempt], policy: Policy, kind: CardKind, *, context: dict[str, Any]) -> Attempt:
    """The attempt whose card is returned; raises the refusal, with every attempt's issues, if none is.

    `context` goes into the refusal's detail beside the attempts (contexts used, budget, sources).
    """
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
