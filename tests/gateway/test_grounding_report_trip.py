"""A flagged card's grounding report survives the trip generator → prefetcher → scheduler → study API.

The learner's warning panel reads `claim`, `evidence`, `closest_sentence` and `message_es`
of each issue; the scheduler stores the report as a JSON document, so nothing on the way
may drop them. The report is the real gate's on a card with a planted fault, plus one
judge issue; the generator is scripted, the scheduler is real.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from aimed_contracts.grounding import check_card
from aimed_contracts.judge import ClaimVerdict, card_claims, judge_issues, judge_sentences, with_judge_issues
from tests.gateway.services import Learner, gold_topic
from tests.gateway.test_prefetch import ScriptedGenerator, _next_items, _prefetcher


def _flagged_report(card: dict[str, Any], context: str, topic: str) -> dict[str, Any]:
    report = check_card(card, context, topic=topic)
    claims = card_claims(card)
    verdicts = [ClaimVerdict("not_in_context", 0)] + [ClaimVerdict("supported", 0)] * (len(claims) - 1)
    judged = with_judge_issues(report, judge_issues(claims, verdicts, judge_sentences([context])))
    return judged.model_dump(mode="json")


class FlaggingGenerator(ScriptedGenerator):
    """Answers the gold card with an invented drug (colchicina) in its explanation, and the gate's report."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, dict[str, Any]] = {}

    async def post_json(self, path: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        answer = await super().post_json(path, body, **kwargs)
        card = copy.deepcopy(answer["card"])
        if card["kind"] == "drill_mcq":
            card["explanation"] += " Se añade colchicina."
        report = _flagged_report(card, body["contexts"][0]["text"], body["topic"])
        self.reports[card["kind"]] = report
        return {**answer, "card": card, "grounding_report": report}


def test_the_new_issue_fields_survive_prefetch_and_storage(scheduler_url: str, learner: Learner) -> None:
    learner.add_topic()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        generator = FlaggingGenerator()
        generator.release.set()
        prefetcher = _prefetcher(scheduler_url, generator)
        [item] = await _next_items(prefetcher, learner)
        stored = await prefetcher.ensure(str(learner.id), item, "drill_mcq")
        read_back = await prefetcher.stored_cards(str(learner.id), item)
        await prefetcher.scheduler.aclose()
        sent = generator.reports["drill_mcq"]
        return sent, stored.grounding_report, read_back["drill_mcq"].grounding_report

    assert "colchicina" not in gold_topic(0)["context"].lower()
    sent, stored, read_back = asyncio.run(scenario())
    assert stored == sent and read_back == sent
    assert read_back["valid"] is False
    term = next(i for i in read_back["issues"] if i["code"] == "unsupported_term")
    assert term["evidence"] == "colchicina"
    assert term["claim"] and term["closest_sentence"] and term["message_es"]
    judge = next(i for i in read_back["issues"] if i["code"] == "judge_not_in_context")
    assert judge["claim"] and judge["closest_sentence"] in gold_topic(0)["context"]
