"""With the generator stopped, the UI says clearly what is missing instead of hanging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def test_generator_unavailable_is_explained(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-sin-generador")
    topic = learner.create_topic("Neumotórax espontáneo")
    assert e2e_stack.stack.stop_process("generator")
    try:
        context = httpx.post(
            learner.proxy_url + f"/api/v1/topics/{topic['id']}/contexts",
            json={"source_label": "Guía", "text": "El neumotórax primario aparece sin enfermedad pulmonar."},
            headers=learner.headers(),
            timeout=30,
        )
        assert context.status_code == 201, context.text

        sign_in(page, learner)
        message = page.locator(".study-unavailable")
        message.wait_for(timeout=120_000)
        text = message.inner_text()
        assert "El generador de tarjetas no está disponible" in text
        assert "BattleCard" in text and "Drill de opción múltiple" in text
        screenshot(page, "generator-down-study")

        page.get_by_role("navigation").get_by_role("link", name="Ajustes").click()
        state = page.locator(".model-state")
        state.wait_for()
        assert state.get_attribute("data-available") == "false"
        assert "No disponible" in state.inner_text()
        screenshot(page, "generator-down-settings")
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        # Without its topic, the restarted generator gets no prefetch work from this learner.
        topic_url = f"{learner.proxy_url}/api/v1/topics/{topic['id']}"
        httpx.delete(topic_url, headers=learner.headers(), timeout=30)
        e2e_stack.stack.start_process("generator")
