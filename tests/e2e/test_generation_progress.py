"""While the model writes a card, the study view shows a progress bar that advances: the
generator streams from the real llama-server (demo GGUF), the gateway's `generating`
answer carries the tokens so far, and the page draws them in a <progress>."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from infra.login_link import login_link
from tests.e2e.conftest import RunningStack, gold_cards, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.llama, pytest.mark.slow]

WAIT_S = 900


def test_the_progress_bar_advances_while_the_model_writes(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("progreso")
    title, context, _ = gold_cards(1)
    api = learner.proxy_url + "/api/v1"
    topic = httpx.post(
        f"{api}/topics", json={"title": title, "modulo": "neumología"}, headers=learner.headers(), timeout=30
    )
    topic.raise_for_status()
    httpx.post(
        f"{api}/topics/{topic.json()['id']}/contexts",
        json={"source_label": "Guía", "text": context, "format": "text"},
        headers=learner.headers(),
        timeout=30,
    ).raise_for_status()

    page.goto(login_link(learner.proxy_url, learner.token))
    writing = ".generation-progress[data-kind='battlecard'][data-state='writing']"
    bar = page.locator(f"{writing} progress")
    expect(bar.first).to_be_visible(timeout=WAIT_S * 1000)
    label = page.locator(f"{writing} .generation-label").first
    assert "BattleCard" in label.inner_text() and "tokens" in label.inner_text()
    screenshot(page, "progress-01-writing")
    values: list[float] = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and len(set(values)) < 3:
        if bar.count():
            values.append(float(bar.first.get_attribute("value") or 0))
            maximum = float(bar.first.get_attribute("max") or 0)
            assert 0 < values[-1] <= maximum
        elif values or page.locator("article.card").count():
            break  # the BattleCard is written (the drill may still be)
        page.wait_for_timeout(700)
    assert len(set(values)) >= 3, f"the bar did not advance: {values}"
    assert values == sorted(values), values
    screenshot(page, "progress-02-advanced")
    assert page.problems == []  # type: ignore[attr-defined]
