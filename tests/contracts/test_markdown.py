"""Markdown rendering of each card kind, with Spanish headings."""

from __future__ import annotations

import pytest

from aimed_contracts.cards import parse_card
from aimed_contracts.examples import EXAMPLE_BATTLECARD, EXAMPLE_DRILL_MCQ, EXAMPLE_DRILL_OPEN
from aimed_contracts.markdown import render_markdown


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def _outline(kind: str, *sections: str) -> list[str]:
    """The headings of a card of the worked topic: its title, then each section."""
    return [f"# {kind}: Cetoacidosis diabética", *(f"## {section}" for section in sections)]


def test_battlecard_renders_its_sections_in_order() -> None:
    markdown = render_markdown(parse_card(EXAMPLE_BATTLECARD))
    sections = ("Resumen", "Puntos clave", "Banderas rojas", "Fuentes")
    assert _headings(markdown) == _outline("BattleCard", *sections)
    assert "- Insulina regular intravenosa en perfusión continua a 0,1 U/kg/h. [4]" in markdown
    assert "5. El edema cerebral es la complicación más grave" in markdown
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_battlecard_without_red_flags_says_so() -> None:
    markdown = render_markdown(parse_card({**EXAMPLE_BATTLECARD, "red_flags": []}))
    assert "## Banderas rojas\n\n- Ninguna en el contexto.\n" in markdown


def test_mcq_renders_lettered_options_the_answer_and_one_rationale_per_option() -> None:
    markdown = render_markdown(parse_card({**EXAMPLE_DRILL_MCQ, "answer_index": 1}))
    assert _headings(markdown) == _outline(
        "Drill",
        "Caso clínico",
        "Pregunta",
        "Opciones",
        "Respuesta correcta",
        "Explicación",
        "Justificación por opción",
        "Fuentes",
    )
    assert "- **D.** Añadir suero glucosado al 5 %" in markdown
    assert "## Respuesta correcta\n\n**B.** Iniciar insulina regular intravenosa a 0,1 U/kg/h\n" in markdown
    assert "- **C.** Incorrecta: el bicarbonato solo se recomienda" in markdown


def test_open_drill_renders_model_answer_rubric_and_angle() -> None:
    markdown = render_markdown(parse_card(EXAMPLE_DRILL_OPEN))
    assert _headings(markdown) == _outline(
        "Drill", "Caso clínico", "Pregunta", "Respuesta modelo", "Rúbrica", "Fuentes"
    )
    assert "**Nivel:** 2\n**Perspectiva:** criterios de resolución" in markdown
    assert "- Glucemia menor de 200 mg/dL. [1]" in markdown


def test_a_newline_inside_a_list_item_does_not_break_the_list() -> None:
    card = {**EXAMPLE_BATTLECARD, "red_flags": ["Cefalea\n\n## durante el tratamiento"]}
    markdown = render_markdown(parse_card(card))
    assert "- Cefalea ## durante el tratamiento" in markdown
    assert "## durante" not in _headings(markdown)


def test_a_dict_is_not_rendered() -> None:
    with pytest.raises(TypeError, match="parse_card"):
        render_markdown(EXAMPLE_BATTLECARD)  # type: ignore[arg-type]
