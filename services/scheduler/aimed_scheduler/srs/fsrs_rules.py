"""FSRS-6 (the maintained py-fsrs package) under the product's rules, as pure functions.

py-fsrs computes the memory (stability, difficulty) and the interval that reaches the
learner's `desired_retention`; the product's rules stay on top, exactly as with SM-2:

- A Fail on a topic opens an angle (`ReviewOutcome.requests_angle`), and relearning happens
  `relearn_minutes` later: FSRS's learning and relearning steps are that one step.
- Level 2 iff stability >= `fsrs_level2_min_stability_days` and difficulty <=
  `fsrs_level2_max_difficulty` (defaults 14 days and 5 on FSRS's 1–10 scale). Stability is the
  gap after which recall falls to 90 %, so this reads "remembered for two weeks or more, and not
  hard for this learner". Good answers keep difficulty near its start (about 2.1), so a topic
  answered Good reaches level 2 once its stability passes two weeks; Hard and Fail raise
  difficulty and keep it at level 1. This plays the role of SM-2's "EF > 2.6 and interval > 7 d".
- Mastery is `srs.mastery` (N successes done at level 2), shared with SM-2.

Fuzz is off (no randomness in the core). SM-2's `ease_factor` and `repetitions` are never
touched here, so a learner who switches back finds SM-2's last state.

Switching to FSRS replays each item's review log (`rebuild`). An item with a state but no
log (imported from a temario or a pre-FSRS backup) starts from a seed: stability = its
current interval in days (FSRS's interval at 90 % retention equals its stability), difficulty
5, phase review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from aimed_scheduler.srs.grade import Grade
from aimed_scheduler.srs.outcome import ReviewOutcome, apply_answer
from aimed_scheduler.srs.settings import SrsSettings
from aimed_scheduler.srs.state import MINUTES_PER_DAY, FsrsPhase, ItemKind, SrsState, require_utc

SEED_DIFFICULTY = 5.0

_RATING = {
    Grade.FAIL: Rating.Again,
    Grade.HARD: Rating.Hard,
    Grade.GOOD: Rating.Good,
    Grade.EASY: Rating.Easy,
}
_PHASE = {
    State.Learning: FsrsPhase.LEARNING,
    State.Review: FsrsPhase.REVIEW,
    State.Relearning: FsrsPhase.RELEARNING,
}
_STATE = {phase: state for state, phase in _PHASE.items()}
# py-fsrs stamps new cards with the current time unless given an id; ours are never stored.
_CARD_ID = 1


@lru_cache(maxsize=64)
def fsrs_scheduler(desired_retention: float, relearn_minutes: int) -> Scheduler:
    """py-fsrs's scheduler for these settings (FSRS-6 default parameters, no fuzz)."""
    step = (timedelta(minutes=relearn_minutes),)
    return Scheduler(
        desired_retention=desired_retention,
        learning_steps=step,
        relearning_steps=step,
        enable_fuzzing=False,
    )


def _scheduler_for(settings: SrsSettings) -> Scheduler:
    return fsrs_scheduler(settings.desired_retention, settings.relearn_minutes)


def level_for(stability: float | None, difficulty: float | None, settings: SrsSettings) -> int:
    if stability is None or difficulty is None:
        return 1
    strong = stability >= settings.fsrs_level2_min_stability_days
    easy_enough = difficulty <= settings.fsrs_level2_max_difficulty
    return 2 if strong and easy_enough else 1


def seeded(state: SrsState) -> SrsState:
    """FSRS memory for a reviewed item without any (see the module docstring); new items stay new."""
    if state.is_new or state.stability is not None:
        return state
    return state.evolve(
        stability=max(state.interval_minutes / MINUTES_PER_DAY, 0.1),
        difficulty=SEED_DIFFICULTY,
        fsrs_phase=FsrsPhase.REVIEW,
        fsrs_step=None,
    )


def _card(state: SrsState, now: datetime) -> Card:
    state = seeded(state)
    if state.stability is None or state.difficulty is None:
        return Card(card_id=_CARD_ID, due=now)
    phase = state.fsrs_phase or FsrsPhase.REVIEW
    return Card(
        card_id=_CARD_ID,
        state=_STATE[phase],
        step=None if phase is FsrsPhase.REVIEW else (state.fsrs_step or 0),
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due_at or now,
        last_review=state.last_reviewed_at,
    )


def _with_memory(state: SrsState, card: Card) -> SrsState:
    return state.evolve(
        stability=card.stability,
        difficulty=card.difficulty,
        fsrs_phase=_PHASE[card.state],
        fsrs_step=card.step,
    )


def _minutes_between(start: datetime, end: datetime) -> int:
    return max(1, round((end - start).total_seconds() / 60))


def review(
    state: SrsState, grade: Grade, now: datetime, settings: SrsSettings
) -> tuple[SrsState, ReviewOutcome]:
    """Applies one answer with FSRS; never mutates `state` (called through `srs.review`)."""
    now = require_utc(now, "now")
    card, _ = _scheduler_for(settings).review_card(_card(state, now), _RATING[grade], now)
    interval = _minutes_between(now, card.due)
    level = level_for(card.stability, card.difficulty, settings)
    return apply_answer(
        state, _with_memory(state, card), grade, now, settings, interval_minutes=interval, level=level
    )


def rebuild(state: SrsState, history: Sequence[tuple[Grade, datetime]], settings: SrsSettings) -> SrsState:
    """The item's FSRS memory and due date after replaying its review log (oldest first).

    Mastery marks, streaks, lapses and SM-2's fields are kept; the level follows the FSRS
    criterion; a mastered angle stays off the calendar.
    """
    if not history:
        if state.is_new:
            return state
        memory = seeded(state)
        return memory.evolve(level=level_for(memory.stability, memory.difficulty, settings))
    scheduler = _scheduler_for(settings)
    first_at = require_utc(history[0][1], "history[0]")
    card = Card(card_id=_CARD_ID, due=first_at)
    for index, (grade, reviewed_at) in enumerate(history):
        card, _ = scheduler.review_card(card, _RATING[grade], require_utc(reviewed_at, f"history[{index}]"))
    assert card.last_review is not None
    keeps_off_calendar = state.item_kind is ItemKind.ANGLE and state.mastered
    # Whole minutes, as `review` schedules them: the replay lands on the same due date.
    interval = _minutes_between(card.last_review, card.due)
    return _with_memory(state, card).evolve(
        interval_minutes=interval,
        due_at=None if keeps_off_calendar else card.last_review + timedelta(minutes=interval),
        level=level_for(card.stability, card.difficulty, settings),
    )
