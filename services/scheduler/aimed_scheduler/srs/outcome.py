"""What one answer did, whichever algorithm computed it (the caller persists and reports it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aimed_scheduler.srs.grade import Grade
from aimed_scheduler.srs.mastery import mastery_after
from aimed_scheduler.srs.settings import SrsSettings
from aimed_scheduler.srs.state import ItemKind, SrsState


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    grade: Grade
    reviewed_at: datetime
    interval_minutes: int
    due_at: datetime | None
    level: int
    mastered: bool
    became_mastered: bool
    # A Fail on a topic asks the caller to open the next angle (see srs.angles.next_angle).
    requests_angle: bool


def apply_answer(
    state: SrsState,
    remembered: SrsState,
    grade: Grade,
    now: datetime,
    settings: SrsSettings,
    *,
    interval_minutes: int,
    level: int,
) -> tuple[SrsState, ReviewOutcome]:
    """The product's rules on top of an algorithm's answer, the same for SM-2 and FSRS.

    `state` is the item before the answer; `remembered` is it with the algorithm's own memory
    fields already updated (ease and repetitions, or stability and difficulty).
    """
    mastery = mastery_after(state, grade, now, settings)
    due_at = mastery.due_at(state, now + timedelta(minutes=interval_minutes))
    new_state = remembered.evolve(
        interval_minutes=interval_minutes,
        lapses=state.lapses + 1 if grade is Grade.FAIL else state.lapses,
        due_at=due_at,
        level=level,
        mastery_streak=mastery.streak,
        mastered_at=mastery.mastered_at,
        first_reviewed_at=state.first_reviewed_at or now,
        last_reviewed_at=now,
    )
    outcome = ReviewOutcome(
        grade=grade,
        reviewed_at=now,
        interval_minutes=interval_minutes,
        due_at=due_at,
        level=level,
        mastered=mastery.mastered_at is not None,
        became_mastered=mastery.became_mastered,
        requests_angle=grade is Grade.FAIL and state.item_kind is ItemKind.TOPIC,
    )
    return new_state, outcome
