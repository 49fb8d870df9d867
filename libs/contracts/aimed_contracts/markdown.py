"""Markdown rendering of a card, for the UI and for export. A rendering, not the wire format."""

from __future__ import annotations

from aimed_contracts.cards import BattleCard, DrillMCQ, DrillOpen

OPTION_LETTERS = "ABCDE"


def _one_line(text: str) -> str:
    # A newline inside a list item or heading would break the Markdown structure.
    return " ".join(text.split())


def _header(card: BattleCard | DrillMCQ | DrillOpen, title: str) -> list[str]:
    lines = [f"# {title}: {_one_line(card.topic)}", "", f"**Nivel:** {card.level}"]
    if card.angle:
        lines.append(f"**Perspectiva:** {_one_line(card.angle)}")
    return [*lines, ""]


def _sources(card: BattleCard | DrillMCQ | DrillOpen) -> list[str]:
    return ["## Fuentes", "", *(f"{i}. {_one_line(s)}" for i, s in enumerate(card.sources, start=1)), ""]


def _battlecard(card: BattleCard) -> list[str]:
    lines = [*_header(card, "BattleCard"), "## Resumen", "", card.summary.strip(), "", "## Puntos clave", ""]
    lines += [f"- {_one_line(p.text)} [{p.source + 1}]" for p in card.key_points]
    lines += ["", "## Banderas rojas", ""]
    lines += [f"- {_one_line(flag)}" for flag in card.red_flags] or ["- Ninguna en el contexto."]
    return [*lines, "", *_sources(card)]


def _mcq(card: DrillMCQ) -> list[str]:
    letter = OPTION_LETTERS[card.answer_index]
    lines = [*_header(card, "Drill"), "## Caso clínico", "", card.vignette.strip(), ""]
    lines += ["## Pregunta", "", _one_line(card.question), "", "## Opciones", ""]
    lines += [f"- **{OPTION_LETTERS[i]}.** {_one_line(o)}" for i, o in enumerate(card.options)]
    answer = _one_line(card.options[card.answer_index])
    lines += ["", "## Respuesta correcta", "", f"**{letter}.** {answer}", ""]
    lines += ["## Explicación", "", card.explanation.strip(), "", "## Justificación por opción", ""]
    lines += [f"- **{OPTION_LETTERS[i]}.** {_one_line(r)}" for i, r in enumerate(card.option_rationales)]
    return [*lines, "", *_sources(card)]


def _open(card: DrillOpen) -> list[str]:
    lines = [*_header(card, "Drill"), "## Caso clínico", "", card.vignette.strip(), ""]
    lines += ["## Pregunta", "", _one_line(card.question), "", "## Respuesta modelo", ""]
    lines += [card.model_answer.strip(), "", "## Rúbrica", ""]
    lines += [f"- {_one_line(r.item)} [{r.source + 1}]" for r in card.rubric]
    return [*lines, "", *_sources(card)]


def render_markdown(card: BattleCard | DrillMCQ | DrillOpen) -> str:
    """The card as Markdown with Spanish headings; `[n]` marks cite the numbered Fuentes."""
    if isinstance(card, BattleCard):
        lines = _battlecard(card)
    elif isinstance(card, DrillMCQ):
        lines = _mcq(card)
    elif isinstance(card, DrillOpen):
        lines = _open(card)
    else:
        raise TypeError(f"render_markdown takes a parsed card, not {type(card).__name__}: use parse_card")
    return "\n".join(lines).rstrip("\n") + "\n"
