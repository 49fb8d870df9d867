"""The API reference at /api/docs renders through the proxy, under its CSP, offline.

FastAPI's default page links Swagger UI from a CDN and starts it with an inline script:
behind `script-src 'self'` that is a blank page. The gateway's page takes Swagger UI
from the static frontend instead; the browser must render the operations and report no
refused resource.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def test_swagger_ui_renders_the_public_api_under_the_csp(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    refused: list[str] = []
    page.on("requestfailed", lambda request: refused.append(request.url))
    page.on("response", lambda answer: refused.append(answer.url) if answer.status >= 400 else None)
    response = page.goto(e2e_stack.config.proxy_url + "/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")

    expect(page.get_by_role("heading", name="AI-Med Learning API")).to_be_visible(timeout=30_000)
    operation = page.locator(".opblock", has_text="/api/v1/study/next")
    expect(operation.first).to_be_visible()
    # Expanding an operation shows its parameters: the UI is live, not a static shell.
    operation.first.locator(".opblock-summary").click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    screenshot(page, "api-docs")

    assert not refused, refused
    assert not page.problems, page.problems  # CSP refusals are console errors in Chromium
