"""A flagged card tells the learner, in Spanish, what is wrong with it and where.

The card is the worked BattleCard with one planted fault (an invented drug, with hostile
HTML beside it); its report is the real gate's (`check_card`) plus one real judge
decision (`judge_issues` on a scripted verdict), stored as the prefetcher stores a
generated card, served by the gateway through nginx and rendered by Chromium. Each
problem must show its rule (a Spanish label), the claim, the word or value and the
closest sentence of the guideline, all as text.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aimed_contracts.examples import EXAMPLE_BATTLECARD, EXAMPLE_CONTEXT, EXAMPLE_DRILL_MCQ, EXAMPLE_TOPIC
from aimed_contracts.grounding import check_card
from aimed_contracts.judge import ClaimVerdict, card_claims, judge_issues, judge_sentences, with_judge_issues
from tests.e2e.conftest import RunningStack, screenshot, sign_in
from tests.e2e.test_xss import IMG, assert_inert

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def flagged_battlecard() -> tuple[dict[str, Any], dict[str, Any]]:
    card = copy.deepcopy(EXAMPLE_BATTLECARD)
    card["key_points"][1]["text"] += f" Después se añade metformina {IMG}."
    report = check_card(card, EXAMPLE_CONTEXT, topic=EXAMPLE_TOPIC)
    claims = card_claims(card)
    sentences = judge_sentences([EXAMPLE_CONTEXT])
    verdicts = [ClaimVerdict("supported", 0)] * len(claims)
    verdicts[0] = ClaimVerdict("contradicted", 2)  # the summary, against the third sentence
    judged = with_judge_issues(report, judge_issues(claims, verdicts, sentences))
    return card, judged.model_dump(mode="json")


def test_a_flagged_card_explains_each_problem(e2e_stack: RunningStack, browser_page: Any) -> None:
    card, report = flagged_battlecard()
    assert report["valid"] is False
    term = next(i for i in report["issues"] if i["code"] == "unsupported_term")
    assert term["evidence"] == "metformina" and term["claim"] and term["closest_sentence"]
    judge = next(i for i in report["issues"] if i["code"] == "judge_contradicted")

    learner = e2e_stack.new_learner("e2e-grounding-warning")
    topic = learner.create_topic(EXAMPLE_TOPIC, modulo="Endocrinología")
    learner.store_card(topic["id"], card, grounding_report=report)
    # A new topic is studied as its BattleCard, then a drill: both stored, nothing to generate.
    learner.store_card(topic["id"], EXAMPLE_DRILL_MCQ)

    page = browser_page
    sign_in(page, learner)
    article = page.locator("article.card-battlecard")
    article.wait_for(timeout=60_000)
    warning = article.locator(".grounding-warning")
    assert "no superó la comprobación de fidelidad" in warning.inner_text()
    warning.locator("summary").click()
    items = warning.locator("li.grounding-issue")
    assert items.count() == len(report["issues"])

    # The first term issue is the drug; the hostile tag's words follow it.
    shown = warning.locator('li.grounding-issue[data-code="unsupported_term"]').first
    assert shown.locator(".issue-rule strong").inner_text() == "Término que la guía no menciona"
    assert shown.locator(".issue-field").inner_text().strip() == "· Punto clave 2"
    assert shown.locator(".issue-message").inner_text() == term["message_es"]
    assert shown.locator(".issue-claim").inner_text() == term["claim"]  # hostile HTML as text
    assert shown.locator(".issue-evidence").inner_text() == "metformina"
    assert shown.locator(".issue-closest").inner_text() == term["closest_sentence"]
    assert shown.locator("dt").all_inner_texts() == [
        "Afirmación",
        "Palabra o cifra",
        "Frase más cercana de la guía",
    ]

    by_judge = warning.locator('li.grounding-issue[data-code="judge_contradicted"]')
    assert by_judge.locator(".issue-rule strong").inner_text() == "El revisor automático ve una contradicción"
    assert by_judge.locator(".issue-field").inner_text().strip() == "· Resumen"
    assert by_judge.locator(".issue-claim").inner_text() == judge["claim"]
    assert by_judge.locator(".issue-closest").inner_text() == judge["closest_sentence"]

    assert_inert(page, "warning panel with a hostile claim")
    screenshot(page, "grounding-warning")
