"""The learner's first hour, as `make run` sets it up: the demo syllabus with its example
cards loaded by the same CLI call, the sign-in link printed by the same function, and a
browser that opens that link and reaches a rendered example BattleCard, the drill and the
grade buttons without typing anything.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.login_link import login_link
from tests.e2e.conftest import REPO, Learner, RunningStack, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def load_demo(e2e_stack: RunningStack, learner: Learner) -> str:
    """`aimed-gateway load-demo` exactly as infra/scripts/run.sh calls it."""
    token_file = e2e_stack.config.var_dir / f"token-{learner.id}"
    token_file.write_text(learner.token + "\n")
    result = subprocess.run(
        [
            str(REPO / ".venv/bin/aimed-gateway"),
            "load-demo",
            "--url",
            e2e_stack.config.proxy_url,
            "--token-file",
            str(token_file),
            "--gold",
            str(REPO / "training/data/gold"),
        ],
        env={**os.environ, **e2e_stack.config.gateway_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_printed_link_signs_in_and_the_first_card_is_a_rendered_example(
    e2e_stack: RunningStack, browser_page: Any
) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("primera-hora")
    out = load_demo(e2e_stack, learner)
    assert "40 topics loaded, 9 hand-written example cards" in out, out

    link = login_link(learner.proxy_url, learner.token)
    assert "#token=" in link
    page.goto(link)
    page.wait_for_url("**/#/estudiar")
    # The token is kept, and gone from the address bar and from the history entry.
    assert learner.token not in page.url
    assert page.evaluate("localStorage.getItem('aimed.token')") == learner.token
    assert "token" not in page.evaluate("location.href")

    card = page.locator("article.card-battlecard")
    expect(card).to_be_visible(timeout=30_000)
    expect(card.locator("[data-origin='example'] strong")).to_have_text("Tarjeta de ejemplo (escrita a mano)")
    # A rendered BattleCard: its summary and key points, not raw JSON; no gate warning.
    expect(card.locator(".card-body h2, .card-body h3").first).to_be_visible()
    assert len(card.locator(".card-body li").all()) >= 3
    assert "{" not in card.locator(".card-body").inner_text()
    expect(card.locator(".grounding-warning")).to_have_count(0)
    screenshot(page, "first-hour-01-example-battlecard")

    page.get_by_role("button", name="Continuar al drill").click()
    drill = page.locator("article.card-drill_mcq")
    expect(drill).to_be_visible()
    expect(drill.locator("[data-origin='example']")).to_be_visible()
    options = drill.locator(".option-list li")
    assert options.count() >= 4
    options.first.locator("label").click()
    page.get_by_role("button", name="Comprobar").click()
    grades = page.locator(".grades button[data-grade]")
    expect(grades).to_have_count(4)
    for button in grades.all():
        expect(button).to_be_visible()
        assert button.inner_text().strip()
    screenshot(page, "first-hour-02-grades")
    assert page.problems == []  # type: ignore[attr-defined]


def test_load_demo_gives_example_cards_only_to_the_demo_and_never_twice(e2e_stack: RunningStack) -> None:
    learner = e2e_stack.new_learner("ejemplos")
    load_demo(e2e_stack, learner)
    cards = learner.scheduler("GET", "/cards", params={"limit": 500})["data"]
    assert len(cards) == 9
    assert {c["origin"] for c in cards} == {"example"}
    assert all(c["grounding_report"]["valid"] is True for c in cards)
    assert {c["kind"] for c in cards} == {"battlecard", "drill_mcq", "drill_open"}
    # A second run finds topics and adds nothing.
    assert "already has topics" in load_demo(e2e_stack, learner)
    assert len(learner.scheduler("GET", "/cards", params={"limit": 500})["data"]) == 9
    # A learner's own topic gets no example card: the only way in is the model's.
    own = e2e_stack.new_learner("propio")
    topic = own_topic(own)
    assert own.scheduler("GET", "/cards", params={"item_type": "topic", "item_id": topic})["data"] == []


def own_topic(learner: Learner) -> int:
    import httpx

    response = httpx.post(
        learner.proxy_url + "/api/v1/topics",
        json={"title": "Infarto agudo de miocardio con elevación del ST", "modulo": "cardiología"},
        headers=learner.headers(),
        timeout=30,
    )
    response.raise_for_status()
    return int(response.json()["id"])
