"""Asking the optional judge: each claim of a card that passed the gate, one request each.

A `CardGeneratorConfig` with a `judge` server turns it on (the generator service:
`AIMED_GENERATOR_JUDGE=on`; off by default, and off with the demo model: a 135M model is
no judge). The judge's server is spoken to through the same backend client as the
generator's (so a down server, a timeout or an HTTP error arrive as the same typed
errors), with its own timeout per claim, its config's `request_timeout_s`. Each answer
is constrained by `response_format: json_schema` to `{"verdict", "evidence"}` and parsed
again here.

What the answers mean is `aimed_contracts.judge` (pure). The first claim the judge
cannot answer stops the review: the rest are unchecked, and the card carries a
`judge_unavailable` issue rather than passing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aimed_cardgen.errors import ModelTimeout, ModelUnavailable, NotAnApiAnswer
from aimed_cardgen.model_server import CompletionRequest, ModelBackend, ModelServerConfig, open_backend
from aimed_cardgen.results import Issue
from aimed_cardgen.verdict import Judgement
from aimed_contracts.errors import ServiceError
from aimed_contracts.grounding import GroundingIssue
from aimed_contracts.judge import (
    VERDICT_MAX_TOKENS,
    ClaimVerdict,
    JudgeFailure,
    Outcome,
    card_claims,
    judge_issues,
    judge_messages,
    judge_sentences,
    parse_verdict,
    verdict_schema,
)
from aimed_contracts.prompts import GenerationTask

# Every claim is judged with the same seed: the verdict on a claim should not depend on
# which attempt or card it came from.
JUDGE_SEED = 0


def verdict_request(messages: list[dict[str, str]], n_sentences: int) -> CompletionRequest:
    """The completion that asks the judge about one claim of a context of `n_sentences`."""
    return CompletionRequest(
        messages,
        schema=verdict_schema(n_sentences),
        schema_name="aimed_judge_verdict",
        seed=JUDGE_SEED,
        max_tokens=VERDICT_MAX_TOKENS,
        temperature=0.0,
    )


@dataclass(frozen=True)
class JudgeReview:
    """What the judge said on one card: its issues and a summary for the grounding report."""

    issues: list[GroundingIssue]
    summary: dict[str, Any]


class ClaimJudge:
    def __init__(self, backend: ModelBackend) -> None:
        self.backend = backend

    async def _ask(self, messages: list[dict[str, str]], n_sentences: int) -> tuple[Outcome, float]:
        try:
            completion = await self.backend.complete(verdict_request(messages, n_sentences))
        except ModelTimeout as exc:
            return JudgeFailure("timeout", exc.message), 0.0
        except ModelUnavailable as exc:
            # The backend's hint names the generator's URL setting; the judge has its own.
            hint = "the judge's server is AIMED_GENERATOR_JUDGE_BASE_URL (default: the generator's)"
            return JudgeFailure("unreachable", f"{exc.message} ({hint})"), 0.0
        except NotAnApiAnswer as exc:
            # A server that is not a model server (a proxy's HTML page, another service).
            return JudgeFailure("invalid_answer", exc.message), 0.0
        except ServiceError as exc:
            return JudgeFailure("error", exc.message), 0.0
        model_ms = completion.generation_ms + (completion.prompt_ms or 0.0)
        try:
            return parse_verdict(completion.text, n_sentences), model_ms
        except ValueError as exc:
            return JudgeFailure("invalid_answer", str(exc)), model_ms

    async def review(self, card: Mapping[str, Any], contexts: list[str], topic: str) -> JudgeReview:
        start = time.perf_counter()
        claims = card_claims(card)
        sentences = await asyncio.to_thread(judge_sentences, contexts)
        outcomes: list[Outcome] = []
        model_ms = 0.0
        for claim in claims:
            outcome, ms = await self._ask(judge_messages(topic, sentences, claim), len(sentences))
            outcomes.append(outcome)
            model_ms += ms
            if isinstance(outcome, JudgeFailure):
                break
        issues = judge_issues(claims, outcomes, sentences)
        verdicts = [o.verdict for o in outcomes if isinstance(o, ClaimVerdict)]
        summary = {
            "url": self.backend.base_url,
            "claims": len(claims),
            "checked": len(verdicts),
            "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
            "model_ms": round(model_ms, 2),
            "total_ms": round((time.perf_counter() - start) * 1000, 2),
        }
        return JudgeReview(issues=issues, summary=summary)

    async def review_judgement(
        self, judgement: Judgement, task: GenerationTask, contexts: list[str]
    ) -> Judgement:
        """The gate's judgement with the judge's verdicts added; a card the gate refused
        is not sent (its issues already name what is wrong)."""
        if not judgement.valid or judgement.card is None:
            return judgement
        review = await self.review(judgement.card.model_dump(mode="json"), contexts, task.topic)
        added = [issue.model_dump(mode="json") for issue in review.issues]
        report = {
            **judgement.report,
            "valid": bool(judgement.report.get("valid")) and not added,
            "issues": [*judgement.report.get("issues", []), *added],
            "judge": review.summary,
        }
        issues = [
            *judgement.issues,
            *(Issue(code=i.code, field=i.field, message=i.message) for i in review.issues),
        ]
        return Judgement(judgement.card, report, issues)


@asynccontextmanager
async def open_claim_judge(server: ModelServerConfig | None) -> AsyncIterator[ClaimJudge | None]:
    """The judge on `server` (None: no judge), with its own HTTP client.

    Its own client, because its timeout is the judge's: the generator's client would cut
    a slow verdict at the generator's `request_timeout_s`.
    """
    if server is None:
        yield None
        return
    async with open_backend(server) as backend:
        yield ClaimJudge(backend)
