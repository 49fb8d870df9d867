"""The product's mastery rule, the same under SM-2 and FSRS.

A topic is mastered (Dominado) after `mastery_n` consecutive successes done at level 2 (the
level before the review); a success at level 1 restarts the count. An angle is mastered after
`angle_mastery_n` consecutive successes at any level and then leaves the calendar. Only a Fail
removes a mastery mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aimed_scheduler.srs.grade import Grade
from aimed_scheduler.srs.settings import SrsSettings
from aimed_scheduler.srs.state import ItemKind, SrsState


@dataclass(frozen=True, slots=True)
class MasteryUpdate:
    streak: int
    mastered_at: datetime | None
    became_mastered: bool

    def due_at(self, state: SrsState, scheduled: datetime) -> datetime | None:
        """A mastered angle leaves the calendar; everything else is due when scheduled."""
        if state.item_kind is ItemKind.ANGLE and self.mastered_at is not None:
            return None
        return scheduled


def mastery_after(state: SrsState, grade: Grade, now: datetime, settings: SrsSettings) -> MasteryUpdate:
    if grade is Grade.FAIL:
        streak = 0
        mastered_at = None
    elif state.item_kind is ItemKind.ANGLE:
        streak = state.mastery_streak + 1
        mastered_at = state.mastered_at
    else:
        streak = state.mastery_streak + 1 if state.level == 2 else 0
        mastered_at = state.mastered_at

    needed = settings.angle_mastery_n if state.item_kind is ItemKind.ANGLE else settings.mastery_n
    became_mastered = mastered_at is None and grade.is_success and streak >= needed
    if became_mastered:
        mastered_at = now
    return MasteryUpdate(streak=streak, mastered_at=mastered_at, became_mastered=became_mastered)
