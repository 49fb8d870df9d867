"""Card payloads built in tests: a BattleCard from its summary, key points and sources."""

from __future__ import annotations

from typing import Any


def battlecard_payload(
    topic: str, summary: str, points: list[tuple[str, int]], sources: list[str], **extra: Any
) -> dict[str, Any]:
    """A level-1 BattleCard; `points` are (text, index of its source) pairs."""
    return {
        "schema_version": 1,
        "kind": "battlecard",
        "topic": topic,
        "level": 1,
        "angle": None,
        "sources": sources,
        "summary": summary,
        "key_points": [{"text": text, "source": source} for text, source in points],
        "red_flags": [],
        **extra,
    }
