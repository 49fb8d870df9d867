"""The learner imports their own temario.db in the browser: preview first, then the import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, screenshot, sign_in
from tests.scheduler.test_temario import build_temario

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def test_temario_db_preview_then_import(e2e_stack: RunningStack, browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-temario")
    sign_in(page, learner)
    page.get_by_role("navigation").get_by_role("link", name="Temas").click()
    page.get_by_role("heading", name="Importar temario.db").wait_for()

    page.get_by_label("Archivo temario.db (SQLite)").set_input_files(
        str(build_temario(tmp_path / "temario.db"))
    )
    page.get_by_role("button", name="Vista previa").click()
    report = page.locator(".temario-report")
    report.get_by_role("heading", name="Vista previa (aún no se ha guardado nada)").wait_for()
    text = report.inner_text()
    assert "Se importarán 3 temas y 2 sub-nodos; 4 filas se omitirán." in text
    topics = report.locator("table.temario-topics tbody th")
    assert topics.all_inner_texts() == ["Fibrilación auricular", "Insuficiencia cardiaca", "Neumonía"]
    skipped = report.locator("table.temario-skipped tbody tr")
    assert skipped.count() == 4
    assert "fecha_asignada" in skipped.nth(1).inner_text() and "ayer" in skipped.nth(1).inner_text()
    assert "Columnas que no se importan: topics: notas, color; angles: origen." in text
    assert learner.get("/topics")["count"] == 0  # the preview stored nothing
    screenshot(page, "temario-preview")

    page.get_by_role("button", name="Importar 3 temas").click()
    report.get_by_text("Importados 3 temas y 2 sub-nodos.").wait_for()
    stored = learner.get("/topics")
    assert sorted(t["title"] for t in stored["data"]) == [
        "Fibrilación auricular",
        "Insuficiencia cardiaca",
        "Neumonía",
    ]
    page.locator(".topic-list").get_by_role("rowheader", name="Fibrilación auricular").wait_for()
    screenshot(page, "temario-imported")
    assert page.problems == []  # type: ignore[attr-defined]

    # A file that is not SQLite is refused with the reason, and nothing is stored.
    not_sqlite = tmp_path / "temario.csv"
    not_sqlite.write_text("tema,modulo\nAsma,Neumología\n", encoding="utf-8")
    page.get_by_label("Archivo temario.db (SQLite)").set_input_files(str(not_sqlite))
    page.get_by_role("button", name="Vista previa").click()
    error = report.locator(".error")
    error.wait_for()
    assert "No se pudo leer el archivo" in error.inner_text() and "SQLite" in error.inner_text()
    assert learner.get("/topics")["count"] == 3
    # The only console line is Chromium's own log of that 422.
    assert [p for p in page.problems if "status of 422" not in p] == []  # type: ignore[attr-defined]
