"""Keyboard and screen-reader basics, checked in the browser on stored cards (no model
call): landmarks, labelled controls, the skip link, focus after navigation and after a
reveal, the live region's announcements, and grade buttons that say their interval.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.llama]

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80))"""


def test_keyboard_and_screen_reader_basics(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-accesible")
    # The MCQ is served under the `flag` policy although the gate refused it: the UI must say so.
    flagged = {
        "code": "number_not_in_context",
        "field": "explanation",
        "message": "«40 mg» no está en el contexto",
    }
    cards = learner.store_gold_topic(1, drill_report={"valid": False, "issues": [flagged]})

    sign_in(page, learner)
    for role in ("banner", "navigation", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # After a fresh load, the skip link is the keyboard's first stop and lands in main.
    page.reload()
    page.locator("article.card-battlecard").wait_for()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.locator("article.card-battlecard")).to_be_visible()  # the view stayed

    # BattleCard → drill by keyboard only; focus follows the content.
    page.keyboard.press("Space")
    question = page.locator("article.card-drill_mcq h2")
    expect(question).to_be_focused()
    expect(page.get_by_role("group", name="Opciones")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("no superó la comprobación de fidelidad")
    problem = page.get_by_role("note").locator("li")
    expect(problem).to_have_count(1)
    expect(problem.locator(".issue-rule")).to_have_text("Cifra que no está en la guía · Explicación")
    expect(problem.locator(".issue-message")).to_have_text("«40 mg» no está en el contexto")
    page.keyboard.press("b")
    expect(page.get_by_role("radio").nth(1)).to_be_checked()
    page.keyboard.press("Enter")
    verdict = page.locator(".verdict")
    expect(verdict).to_be_focused()
    correct_letter = "ABCDE"[cards["drill_mcq"]["answer_index"]]
    expected = "Correcto" if correct_letter == "B" else f"la respuesta correcta es la {correct_letter}"
    expect(page.locator("#status")).to_contain_text(expected)
    grades = page.get_by_role("group", name="Califica tu respuesta").get_by_role("button")
    expect(grades).to_have_count(4)
    fail = page.get_by_role("button", name="Fallo, próxima revisión en 10 min (tecla 1)")
    expect(fail).to_have_attribute("aria-keyshortcuts", "1")
    assert page.evaluate(UNLABELLED_CONTROLS) == []

    # Navigating moves focus to the new view's heading; every form control is labelled.
    page.get_by_role("navigation").get_by_role("link", name="Temas").click()
    expect(page.get_by_role("heading", name="Temas", level=1)).to_be_focused()
    expect(page.get_by_role("navigation").get_by_role("link", name="Temas")).to_have_attribute(
        "aria-current", "page"
    )
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    page.get_by_role("navigation").get_by_role("link", name="Ajustes").click()
    expect(page.get_by_role("heading", name="Ajustes", level=1)).to_be_focused()
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert page.problems == []  # type: ignore[attr-defined]
