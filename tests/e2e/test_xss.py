"""Model output and learner contexts are untrusted: hostile HTML in them renders inert.

A topic title, a context (added through the UI) and stored cards (as if the model had
written them) carry `<img onerror>`, `<script>`, `<svg onload>` and `javascript:` links.
The page must run none of them and keep none of those elements or handler attributes
in its DOM. The CSP would block inline handlers anyway, so the DOM checks are what
prove the sanitiser; the window flags prove nothing ran by any path.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.llama]

IMG = "<img src=x onerror=\"window.__xss='img'\">"
SCRIPT = "<script>window.__xss='script'</script>"
SVG = "<svg onload=\"window.__xss='svg'\"><circle r=1></circle></svg>"
LINK = "[pulsa aquí](javascript:window.__xss='link')"
IFRAME = "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>"
CODE = "`<img src=x onerror=alert(1)>`"
HOSTILE = f"Texto seguro {IMG} {SCRIPT} {SVG} {LINK} {IFRAME} y código {CODE}."

DOM_PROBLEMS = """() => {
    const problems = [];
    for (const el of document.body.querySelectorAll('img, script, svg, iframe, object, embed, style')) {
        problems.push('element <' + el.tagName.toLowerCase() + '>');
    }
    for (const el of document.body.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            if (attr.name.startsWith('on')) problems.push('attribute ' + attr.name + ' on ' + el.tagName);
            if (/^\\s*javascript:/i.test(attr.value)) problems.push('javascript: URL in ' + attr.name);
        }
    }
    if (window.__xss !== undefined) problems.push('payload ran: ' + window.__xss);
    return problems;
}"""


def hostile_cards(title: str) -> list[dict[str, Any]]:
    """A BattleCard and an MCQ, valid against the card contract, with hostile text everywhere."""
    sources = [f"Fuente {HOSTILE}", "Segunda fuente segura."]
    battlecard = {
        "schema_version": 1,
        "kind": "battlecard",
        "topic": title,
        "level": 1,
        "angle": None,
        "sources": sources,
        "summary": f"Resumen. {HOSTILE}\n\n## Encabezado {IMG}\n\n{SCRIPT}",
        "key_points": [
            {"text": f"Punto uno {IMG}", "source": 0},
            {"text": f"Punto dos {LINK}", "source": 1},
            {"text": f"Punto tres {SCRIPT}", "source": 0},
        ],
        "red_flags": [f"Bandera {SVG}"],
    }
    mcq = {
        "schema_version": 1,
        "kind": "drill_mcq",
        "topic": title,
        "level": 1,
        "angle": None,
        "sources": sources,
        "vignette": f"Paciente de 40 años. {HOSTILE}",
        "question": f"¿Qué haría? {IMG}",
        "options": [f"Opción A {IMG}", f"Opción B {SCRIPT}", f"Opción C {LINK}", f"Opción D {SVG}"],
        "answer_index": 1,
        "explanation": f"Explicación. {HOSTILE}",
        "option_rationales": [f"Razón A {IMG}", f"Razón B {IFRAME}", f"Razón C {LINK}", f"Razón D {SCRIPT}"],
    }
    return [battlecard, mcq]


def assert_inert(page: Any, where: str) -> None:
    problems = page.evaluate(DOM_PROBLEMS)
    assert problems == [], f"{where}: {problems}"


def test_hostile_html_renders_inert(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-xss")
    title = f"Tema {IMG}"
    topic = learner.create_topic(title, modulo=f"Módulo {SCRIPT}")
    # Cards first: once the topic has them, the prefetcher has nothing to ask the model.
    for payload in hostile_cards(title):
        learner.store_card(topic["id"], payload)

    sign_in(page, learner)
    page.get_by_role("navigation").get_by_role("link", name="Temas").click()
    row = page.locator(f'tr[data-topic-id="{topic["id"]}"]')
    assert row.locator("th").inner_text() == title  # shown as text, not parsed as HTML
    context_form = page.locator("form", has=page.get_by_role("heading", name="Añadir contexto"))
    context_form.get_by_label("Tema", exact=True).select_option(value=str(topic["id"]))
    context_form.get_by_label("Fuente").fill(f"Fuente {IMG}")
    context_form.get_by_label("Texto del extracto").fill(f"# Contexto\n\n{HOSTILE}\n\n{SCRIPT}\n")
    context_form.get_by_label("Formato").select_option("markdown")
    context_form.get_by_role("button", name="Guardar contexto").click()
    rendered = page.locator(".topic-detail .context")
    rendered.wait_for()
    text = rendered.inner_text()
    assert "Texto seguro" in text and "pulsa aquí" in text
    assert rendered.locator("code").inner_text() == "<img src=x onerror=alert(1)>"
    assert_inert(page, "topics view with a hostile context")
    screenshot(page, "xss-context")

    page.get_by_role("navigation").get_by_role("link", name="Estudiar").click()
    battlecard = page.locator("article.card-battlecard")
    battlecard.wait_for(timeout=60_000)
    assert "Texto seguro" in battlecard.inner_text()
    assert_inert(page, "BattleCard")
    page.keyboard.press("Space")
    mcq = page.locator("article.card-drill_mcq")
    mcq.wait_for()
    assert mcq.locator(".option").count() == 4
    assert_inert(page, "MCQ before the reveal")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    mcq.locator(".verdict").wait_for()
    assert mcq.locator(".rationale").count() == 4
    details = mcq.locator("details.sources")
    details.locator("summary").click()
    assert_inert(page, "MCQ after the reveal (explanation, rationales, sources)")
    screenshot(page, "xss-card")
    assert page.evaluate("window.__xss") is None
