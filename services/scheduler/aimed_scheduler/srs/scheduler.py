"""The SM-2 transitions of ARCHITECTURE.md ("Study loop"), as pure functions.

`review` and `next_states` are the entry points for both algorithms: a learner whose
settings say `algorithm="fsrs"` is answered by `srs.fsrs_rules` instead.

Decisions the architecture leaves open, fixed here:
- Hard is q=3, which SM-2 counts as a correct recall: repetitions + 1, interval 1 day.
- The I·EF product uses the ease factor *after* this review's update, and the ease factor is
  kept at two decimals (the SM-2 deltas are multiples of 0.02), so thresholds such as
  "EF > 2.6" compare exact values.
- Day intervals round half up (37.5 → 38 days); Easy = round(Good interval × easy bonus).
- Good and Easy never shorten the current interval (matters for imported states that carry a
  long interval with few repetitions).
- Mastery (topics: N successes done at level 2; angles: N consecutive successes) is
  `srs.mastery`, shared with FSRS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from aimed_scheduler.srs import fsrs_rules
from aimed_scheduler.srs.grade import Grade
from aimed_scheduler.srs.outcome import ReviewOutcome, apply_answer
from aimed_scheduler.srs.settings import SrsSettings
from aimed_scheduler.srs.state import MINUTES_PER_DAY, SrsState, require_utc

__all__ = [
    "ReviewOutcome",
    "level_for",
    "next_states",
    "review",
    "round_half_up",
    "switch_algorithm",
    "updated_ease",
]


def round_half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def updated_ease(ease_factor: float, grade: Grade, settings: SrsSettings) -> float:
    distance = 5 - grade.quality
    delta = 0.1 - distance * (0.08 + distance * 0.02)
    return max(settings.minimum_ease, round(ease_factor + delta, 2))


def _good_interval_days(state: SrsState, ease: float, settings: SrsSettings) -> int:
    if state.repetitions == 0:
        days = settings.first_interval_days
    elif state.repetitions == 1:
        days = settings.second_interval_days
    else:
        days = round_half_up(max(state.interval_days, 1) * ease)
    current_days = -(-state.interval_minutes // MINUTES_PER_DAY)  # ceiling: never shorten
    return max(days, current_days)


# The longest interval SM-2 gives: 100 years, FSRS's `maximum_interval` default and Anki's.
# Unbounded, a run of Easy answers multiplies the interval past what a date (year 9999) or
# the interval column (2^31 - 1 minutes) can hold.
MAX_INTERVAL_DAYS = 36_500


def _interval_minutes(state: SrsState, grade: Grade, ease: float, settings: SrsSettings) -> int:
    if grade is Grade.FAIL:
        return settings.relearn_minutes
    if grade is Grade.HARD:
        return settings.hard_interval_days * MINUTES_PER_DAY
    good_days = min(_good_interval_days(state, ease, settings), MAX_INTERVAL_DAYS)
    if grade is Grade.GOOD:
        return good_days * MINUTES_PER_DAY
    return min(round_half_up(good_days * settings.easy_bonus), MAX_INTERVAL_DAYS) * MINUTES_PER_DAY


def level_for(ease_factor: float, interval_minutes: int, settings: SrsSettings) -> int:
    deep_enough = interval_minutes > settings.level2_min_interval_days * MINUTES_PER_DAY
    return 2 if ease_factor > settings.level2_min_ease and deep_enough else 1


def review(
    state: SrsState, grade: Grade, now: datetime, settings: SrsSettings
) -> tuple[SrsState, ReviewOutcome]:
    """Applies one answer with the learner's algorithm; never mutates `state`."""
    if not isinstance(grade, Grade):
        raise ValueError(f"grade must be a Grade ({', '.join(g.value for g in Grade)}), got {grade!r}")
    now = require_utc(now, "now")
    if settings.algorithm == "fsrs":
        return fsrs_rules.review(state, grade, now, settings)
    ease = updated_ease(state.ease_factor, grade, settings)
    interval = _interval_minutes(state, grade, ease, settings)
    level = level_for(ease, interval, settings)

    remembered = state.evolve(
        ease_factor=ease, repetitions=0 if grade is Grade.FAIL else state.repetitions + 1
    )
    return apply_answer(state, remembered, grade, now, settings, interval_minutes=interval, level=level)


def next_states(state: SrsState, now: datetime, settings: SrsSettings) -> dict[Grade, SrsState]:
    """The state each of the four answers would lead to (for button labels such as "10 min / 1 d")."""
    return {grade: review(state, grade, now, settings)[0] for grade in Grade}


def switch_algorithm(
    state: SrsState, history: Sequence[tuple[Grade, datetime]], settings: SrsSettings
) -> SrsState:
    """The item's state once the learner studies with `settings.algorithm` (history: its log, oldest first).

    To FSRS: the memory is rebuilt by replaying the log (`fsrs_rules.rebuild`). Back to SM-2:
    the ease factor and repetitions are SM-2's last (FSRS never changes them), the due date
    stays where it is, and the level follows SM-2's rule again.
    """
    if settings.algorithm == "fsrs":
        return fsrs_rules.rebuild(state, history, settings)
    if state.is_new:
        return state
    return state.evolve(level=level_for(state.ease_factor, state.interval_minutes, settings))
