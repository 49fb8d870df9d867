"""Which perspective the next angle (sub-node) of a topic takes, and its label."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from aimed_scheduler.srs.settings import SrsSettings


@dataclass(frozen=True, slots=True)
class AngleSpec:
    perspective: str
    label: str


def angle_label(index: int) -> str:
    """The topic itself is "A"; its angles are "Sub-nodo B", "Sub-nodo C", … in creation order."""
    if not 0 <= index < 25:
        raise ValueError(f"angle index must be between 0 and 24, got {index}")
    return f"Sub-nodo {chr(ord('B') + index)}"


def next_angle(used_perspectives: Collection[str], settings: SrsSettings) -> AngleSpec | None:
    """The first configured perspective the topic has not used yet; None when all are used."""
    used = {p.strip().casefold() for p in used_perspectives}
    for perspective in settings.perspectives:
        if perspective.strip().casefold() not in used:
            return AngleSpec(perspective=perspective, label=angle_label(len(used)))
    return None
