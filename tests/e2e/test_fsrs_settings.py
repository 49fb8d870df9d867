"""FSRS in the browser, through nginx: the learner switches the algorithm in Ajustes and the
grade buttons then show FSRS's intervals."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def test_switching_to_fsrs_changes_the_grade_buttons(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-fsrs")
    learner.store_gold_topic(0)

    sign_in(page, learner)
    page.get_by_role("link", name="Ajustes").click()
    page.get_by_label("Algoritmo de repaso").select_option("fsrs")
    page.get_by_label("Retención deseada (FSRS)").fill("0.9")
    page.get_by_role("button", name="Guardar preferencias").click()
    expect(page.locator("#toast")).to_have_text("Preferencias guardadas.")
    assert learner.get("/settings")["algorithm"] == "fsrs"

    page.get_by_role("link", name="Estudiar").click()
    page.locator("article.card-battlecard").wait_for()
    page.keyboard.press("Space")
    page.get_by_role("radio").first.check()
    page.keyboard.press("Enter")
    # FSRS-6 on a new item: 10 min / 15 min / 2 d / 8 d (SM-2 would read 10 min / 1 d / 1 d / 1 d).
    expect(page.get_by_role("button", name="Difícil, próxima revisión en 15 min (tecla 2)")).to_be_visible()
    expect(page.get_by_role("button", name="Bien, próxima revisión en 2 d (tecla 3)")).to_be_visible()
    expect(page.get_by_role("button", name="Fácil, próxima revisión en 8 d (tecla 4)")).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]
