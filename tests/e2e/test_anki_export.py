"""The Anki export from the settings view, read back with Anki's own library: a card the
grounding gate refused stays out unless the learner ticks the box, then it is marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, sign_in
from tests.gateway.test_exports import GATE_REFUSAL, _import_into_anki

pytestmark = [pytest.mark.browser, pytest.mark.llama]


def test_export_leaves_out_unverified_cards_unless_asked(
    e2e_stack: RunningStack, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    learner = e2e_stack.new_learner("e2e-anki")
    learner.store_gold_topic(1, drill_report=GATE_REFUSAL)

    sign_in(page, learner)
    page.get_by_role("navigation").get_by_role("link", name="Ajustes").click()
    export = page.get_by_role("button", name="Exportar a Anki (.apkg)")

    def download(folder: str) -> list[Any]:
        with page.expect_download() as info:
            export.click()
        path = tmp_path / f"{folder}.apkg"
        info.value.save_as(path)
        return _import_into_anki(path.read_bytes(), tmp_path / folder)

    checked_only = download("por-defecto")
    assert len(checked_only) == 1 and "no_verificada" not in checked_only[0].tags

    page.get_by_label("Incluir en Anki las tarjetas no verificadas").check()
    everything = download("con-no-verificadas")
    assert len(everything) == 2
    marked = [note for note in everything if "no_verificada" in note.tags]
    assert len(marked) == 1 and "No verificada" in marked[0].back
    assert page.problems == []  # type: ignore[attr-defined]
