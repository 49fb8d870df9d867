"""The whole system for browser tests: nginx → gateway → scheduler (SQLite) → generator
(`flag` policy) → llama-server with the demo GGUF, started by infra/stack.py on free
ports, and Debian's Chromium driven by Playwright (never a downloaded browser).

Artefacts (screenshots, the services' logs) go to artifacts/e2e/.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from aimed_contracts.cards import parse_card
from aimed_contracts.markdown import render_markdown
from infra.stack import Stack, StackConfig
from tests.scaleout.gold import gold_topics
from tests.support.learners import create_learner

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Learner:
    """A learner of the running stack and an API client that speaks through nginx as it."""

    id: int
    token: str
    proxy_url: str
    scheduler_url: str
    clock: datetime | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.clock is not None:
            headers["X-Aimed-Now"] = self.clock.isoformat()
        return headers

    def get(self, path: str, **params: Any) -> Any:
        url = self.proxy_url + "/api/v1" + path
        response = httpx.get(url, params=params, headers=self.headers(), timeout=60)
        response.raise_for_status()
        return response.json()

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        url = self.proxy_url + "/api/v1" + path
        response = httpx.patch(url, json=body, headers=self.headers(), timeout=60)
        response.raise_for_status()
        return response.json()

    def create_topic(self, title: str, modulo: str = "Neumología") -> dict[str, Any]:
        """Creates a topic through nginx, as the Temas view does."""
        response = httpx.post(
            self.proxy_url + "/api/v1/topics",
            json={"title": title, "modulo": modulo, "priority": 1},
            headers=self.headers(),
            timeout=30,
        )
        assert response.status_code == 201, response.text
        topic: dict[str, Any] = response.json()
        return topic

    def store_gold_topic(
        self, topic_index: int, drill_report: dict[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """A neumología gold topic with its BattleCard and MCQ stored (no model call); its cards by kind.

        `drill_report` is the MCQ's grounding report (default: valid).
        """
        title, _context, cards = gold_cards(topic_index)
        topic_id = self.create_topic(title)["id"]
        self.store_card(topic_id, cards["battlecard"])
        self.store_card(topic_id, cards["drill_mcq"], grounding_report=drill_report)
        return cards

    def store_card(
        self,
        topic_id: int,
        payload: dict[str, Any],
        angle_id: int | None = None,
        grounding_report: dict[str, Any] | None = None,
    ) -> Any:
        """Stores a card as the prefetcher would after a generation (served without the model)."""
        return self.scheduler(
            "POST",
            "/cards",
            json={
                "topic_id": topic_id,
                "angle_id": angle_id,
                "kind": payload["kind"],
                "level": payload["level"],
                "payload": payload,
                "markdown": render_markdown(parse_card(payload)),
                "context_ids": [],
                "model_id": "stored-by-test",
                "grounding_report": grounding_report or {"valid": True, "issues": []},
            },
        )

    def scheduler(self, method: str, suffix: str, **kwargs: Any) -> Any:
        """The scheduler's internal API, reached directly (it is not reachable through nginx)."""
        response = httpx.request(
            method, f"{self.scheduler_url}/v1/learners/{self.id}{suffix}", timeout=30, **kwargs
        )
        response.raise_for_status()
        return response.json()


@dataclass
class RunningStack:
    stack: Stack
    config: StackConfig
    learners: list[Learner] = field(default_factory=list)

    def new_learner(self, name: str) -> Learner:
        learner_id, token = create_learner(self.config, name)
        learner = Learner(learner_id, token, self.config.proxy_url, self.config.scheduler_url)
        self.learners.append(learner)
        return learner


# Package scope (tests/e2e is a package for that): the stack stops after the last browser test
# instead of at the end of the session, so the demo model no longer writes the learners'
# prefetched cards on the shared cores while the rest of the suite runs.
@pytest.fixture(scope="package")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian's Chromium is missing at /usr/bin/chromium: run `make setup`")
    subprocess.run(["bash", str(REPO / "infra/scripts/frontend_vendor.sh")], check=True)
    var_dir = tmp_path_factory.mktemp("stack")
    config = StackConfig.free_ports(
        var_dir,
        generation_policy="flag",
        allow_clock_override=True,
        # One card ahead is enough to show prefetch working; more would only queue
        # generations for the two shared cores.
        prefetch_depth=1,
        # 4096 tokens per slot: a ~1,200-token prompt leaves room for a long answer.
        llama_ctx_size=8192,
        llama_parallel=2,
        # The shared 2-core box can run the demo model at under 1 token/s under load: one
        # attempt per card, and waits long enough for it (the UI keeps saying "generando").
        extra_env={
            "AIMED_GENERATOR_MAX_ATTEMPTS": "1",
            "AIMED_GENERATOR_REQUEST_TIMEOUT_S": "3600",
            "AIMED_GENERATOR_QUEUE_TIMEOUT_S": "3600",
            "AIMED_GATEWAY_GENERATOR_TIMEOUT_S": "3700",
            # The demo model often rambles: 768 tokens cut many cards short of valid JSON.
            "AIMED_GATEWAY_GENERATION_MAX_TOKENS": "1536",
            # GET /study/next waits up to this long for a card before answering "generating"
            # with progress; at the default 8 s (+ the UI's 3 s retry) the bar moved every ~11 s,
            # so a card the quiet box wrote in ~20 s showed two values. The browser tests watch
            # the bar and the cards appear, not the long poll (tests/gateway covers it).
            "AIMED_GATEWAY_NEXT_WAIT_S": "1",
        },
    )
    stack = Stack(config).start()
    try:
        yield RunningStack(stack=stack, config=config)
    finally:
        stack.stop()
        logs = ARTIFACTS / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for log in config.log_dir.glob("*.log"):
            shutil.copy(log, logs / log.name)


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh Chromium page (Spanish locale) that records console errors and page errors."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(
            locale="es-ES", timezone_id="Europe/Madrid", viewport={"width": 1200, "height": 900}
        )
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: (
                page.problems.append(f"console.{message.type}: {message.text}")  # type: ignore[attr-defined]
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: page.problems.append(f"pageerror: {error}"))  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
            context.close()
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def gold_cards(topic_index: int = 0) -> tuple[str, str, dict[str, dict[str, Any]]]:
    """(title, context, {kind: card}) of one topic of the neumología gold file."""
    gold = gold_topics("neumología")[topic_index]
    return gold.title, gold.context, gold.cards


def screenshot(page: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, learner: Learner) -> None:
    """Signs in through the settings form, as a person would with the token `make run` printed."""
    page.goto(learner.proxy_url + "/")
    # Without a token every view leads to the settings form.
    page.get_by_label("Token de acceso").fill(learner.token)
    assert page.url.endswith("#/ajustes")
    page.get_by_role("button", name="Guardar y entrar").click()
    page.wait_for_url("**/#/estudiar")


def set_clock(page: Any, learner: Learner, when: datetime) -> None:
    """Moves the test clock: the UI sends X-Aimed-Now from localStorage['aimed.testNow']."""
    learner.clock = when
    page.evaluate("value => window.localStorage.setItem('aimed.testNow', value)", when.isoformat())
