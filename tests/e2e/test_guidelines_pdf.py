"""Guideline PDFs in the browser, through nginx: upload, preview the sections, pick them
and their topics, import; a scanned PDF gets a clear Spanish message."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack, screenshot, sign_in
from tests.gateway import guideline_pdfs as pdfs

pytestmark = [pytest.mark.browser, pytest.mark.llama]

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80))"""


def _pdf(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def test_upload_preview_pick_and_import(e2e_stack: RunningStack, browser_page: Any) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-guias")
    existing = learner.create_topic("Neumonía grave")
    sign_in(page, learner)
    page.get_by_role("link", name="Guías PDF").click()
    expect(page.get_by_role("heading", name="Guías en PDF")).to_be_visible()

    page.get_by_label("Archivo PDF").set_input_files(_pdf("escaneada.pdf", pdfs.scanned_pdf()))
    page.get_by_role("button", name="Ver secciones").click()
    expect(page.locator(".import-report").get_by_role("alert")).to_contain_text("no tiene capa de texto")

    page.get_by_label("Archivo PDF").set_input_files(_pdf("gpc-neumonia.pdf", pdfs.one_column_pdf()))
    page.get_by_label("Nombre de la guía").fill("GPC Neumonía 2024")
    page.get_by_label("Módulo de los temas nuevos").fill("Neumología")
    page.get_by_role("button", name="Ver secciones").click()
    expect(page.get_by_role("heading", name="gpc-neumonia.pdf: 2 páginas, 3 secciones")).to_be_visible()
    sections = page.locator("li.guideline-section")
    expect(sections).to_have_count(3)
    expect(sections.nth(2)).to_contain_text("3. Tratamiento empírico")
    sections.nth(2).get_by_text("Ver texto").click()
    expect(sections.nth(2).locator(".section-text")).to_contain_text("Amoxicilina | 1 g cada 8 h | Oral")
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    screenshot(page, "guidelines-preview")

    # Section 1 → a new topic; section 2 left out; section 3 → the existing topic.
    page.get_by_label("Importar «2. Valoración de la gravedad»").uncheck()
    page.get_by_label("Tema de destino de «3. Tratamiento empírico»").select_option(str(existing["id"]))
    page.get_by_role("button", name="Importar las secciones elegidas").click()
    expect(page.locator(".import-report .success")).to_have_text(
        "Guardadas 2 secciones como contexto; 1 tema nuevo."
    )

    topics = {t["title"]: t for t in learner.get("/topics")["data"]}
    assert set(topics) == {"Neumonía grave", "1. Definición y diagnóstico"}
    assert topics["1. Definición y diagnóstico"]["modulo"] == "Neumología"
    contexts = learner.get(f"/topics/{existing['id']}/contexts")["data"]
    assert [c["source_label"] for c in contexts] == ["GPC Neumonía 2024 · 3. Tratamiento empírico"]
    assert contexts[0]["text"].startswith(pdfs.TREATMENT)
    # The browser logs the scan's 422 itself; nothing else may have gone wrong.
    problems = page.problems  # type: ignore[attr-defined]
    assert [p for p in problems if "status of 422" not in p] == []
    assert len(problems) == 1
