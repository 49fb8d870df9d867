"""Card payloads built in tests: a BattleCard and an MCQ from their parts."""

from __future__ import annotations

from typing import Any


def battlecard_payload(
    topic: str, summary: str, points: list[tuple[str, int]], sources: list[str], **extra: Any
) -> dict[str, Any]:
    """A level-1 BattleCard; `points` are (text, index of its source) pairs."""
    return {
        **_level_one("battlecard", topic, sources),
        "summary": summary,
        "key_points": [{"text": text, "source": source} for text, source in points],
        "red_flags": [],
        **extra,
    }


def mcq_payload(
    topic: str,
    sources: list[str],
    vignette: str,
    question: str,
    options: list[str],
    answer_index: int,
    **rest: Any,
) -> dict[str, Any]:
    """A level-1 MCQ whose first option is the right one by its rationales; `rest`: explanation, …"""
    return {
        **_level_one("drill_mcq", topic, sources),
        "vignette": vignette,
        "question": question,
        "options": options,
        "answer_index": answer_index,
        "option_rationales": ["Correcta.", *["Incorrecta."] * (len(options) - 1)],
        **rest,
    }


def _level_one(kind: str, topic: str, sources: list[str]) -> dict[str, Any]:
    return {"schema_version": 1, "kind": kind, "topic": topic, "level": 1, "angle": None, "sources": sources}
