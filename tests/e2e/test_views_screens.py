"""Every view at a phone's width (390×844) and a laptop's (1366×768), in the real browser:
its key elements are on screen and not empty, and nothing is wider than the screen.
Screenshots go to artifacts/e2e/views/ for a person to look at (no pixel diffs).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from infra.login_link import login_link
from tests.e2e.conftest import ARTIFACTS, RunningStack
from tests.e2e.test_first_hour import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.llama]

SIZES = {"phone": (390, 844), "laptop": (1366, 768)}
# Per view: selectors that must each match at least one visible element with text (or a drawn canvas).
KEY_ELEMENTS = {
    "estudiar": [
        "article.card .card-topic",
        "article.card .card-body li",
        "article.card button[data-action]",
    ],
    "temas": ["table.topics-table tbody tr", "table.calendar-table", "form.card-form"],
    "guias": ["form.card-form", "form.card-form input[type=file]"],
    "panel": [".dashboard canvas", ".dashboard h2"],
    "ajustes": ["section.settings-section h2", ".model-state", "form.token-form input[name=token]"],
}


def visible_with_content(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            """selector => [...document.querySelectorAll(selector)].some(el => {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.height === 0) return false;
                const tag = el.tagName;
                return tag === 'CANVAS' || tag === 'INPUT' || el.textContent.trim().length > 0;
            })""",
            selector,
        )
    )


def overflow_px(page: Any) -> int:
    """How far the page is wider than the viewport (0: no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def overflowing(page: Any) -> list[str]:
    """The outermost elements reaching past the right edge (what to fix), as tag.class."""
    return list(
        page.evaluate(
            """() => {
                const limit = window.innerWidth + 1;
                const out = [...document.querySelectorAll('body *')].filter(el => {
                    const box = el.getBoundingClientRect();
                    return box.width > 0 && box.right > limit && !el.parentElement?.closest('.table-wrap');
                });
                return out.filter(el => !out.includes(el.parentElement)).slice(0, 5)
                    .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
            }"""
        )
    )


@pytest.fixture(scope="module")
def demo_learner(e2e_stack: RunningStack) -> Any:
    learner = e2e_stack.new_learner("pantallas")
    load_demo(e2e_stack, learner)
    return learner


@pytest.mark.parametrize("size", list(SIZES))
def test_every_view_shows_its_key_elements(size: str, demo_learner: Any, browser_page: Any) -> None:
    page = browser_page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    shots = ARTIFACTS / "views"
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(login_link(demo_learner.proxy_url, demo_learner.token))
    page.wait_for_url("**/#/estudiar")
    problems = []
    for view, selectors in KEY_ELEMENTS.items():
        page.goto(f"{demo_learner.proxy_url}/#/{view}")
        expect(page.locator(f".view-{view} h1")).to_be_visible()
        for selector in selectors:
            # Waits for it to be laid out; what is still missing is collected below.
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(
                    """selector => [...document.querySelectorAll(selector)].some(el =>
                        el.getBoundingClientRect().width > 0)""",
                    arg=selector,
                    timeout=15_000,
                )
            if not visible_with_content(page, selector):
                problems.append(f"{view} @ {size}: {selector} missing or empty")
        # No section left as an empty box (a heading and nothing else counts as content).
        empty = page.evaluate(
            """() => [...document.querySelectorAll('main section')].filter(s =>
                s.getBoundingClientRect().height > 0 && !s.hidden && s.textContent.trim() === ''
            ).map(s => s.className)"""
        )
        if empty:
            problems.append(f"{view} @ {size}: empty sections {empty}")
        if overflow_px(page) > 1:
            problems.append(
                f"{view} @ {size}: {overflow_px(page)} px wider than the screen: {overflowing(page)}"
            )
        page.screenshot(path=str(shots / f"{view}-{size}.png"), full_page=True)
    # Signed out, Ajustes is the token form alone: no empty panels under it.
    page.evaluate("localStorage.removeItem('aimed.token')")
    page.goto(f"{demo_learner.proxy_url}/#/ajustes")
    page.reload()
    expect(page.get_by_label("Token de acceso")).to_be_visible()
    if page.locator("section.settings-section").count() != 1:
        problems.append(
            f"ajustes signed out @ {size}: {page.locator('section.settings-section').count()} sections"
        )
    page.screenshot(path=str(shots / f"ajustes-signed-out-{size}.png"), full_page=True)
    assert problems == []
    assert page.problems == []  # type: ignore[attr-defined]
