"""Property tests of the SM-2 core over random answer sequences, timings and states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aimed_scheduler.srs import Grade, ItemKind, SrsSettings, SrsState, next_states, review
from aimed_scheduler.srs.scheduler import level_for

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

grades = st.sampled_from(list(Grade))
# Answer on time, early or late (minutes relative to due).
offsets = st.integers(min_value=-600, max_value=60 * 24 * 90)
srs_settings = st.builds(
    SrsSettings,
    relearn_minutes=st.integers(1, 120),
    easy_bonus=st.floats(1.0, 2.0).map(lambda x: round(x, 2)),
    level2_min_ease=st.floats(1.5, 3.5).map(lambda x: round(x, 2)),
    level2_min_interval_days=st.integers(0, 30),
    mastery_n=st.integers(1, 5),
    angle_mastery_n=st.integers(1, 5),
)
# Arbitrary stored states, e.g. imported from a temario.db with odd combinations.
states = st.builds(
    SrsState,
    item_kind=st.sampled_from(list(ItemKind)),
    ease_factor=st.floats(1.3, 4.0).map(lambda x: round(x, 2)),
    interval_minutes=st.integers(0, 400 * 1440),
    repetitions=st.integers(0, 30),
    lapses=st.integers(0, 30),
    due_at=st.just(T0),
    level=st.sampled_from([1, 2]),
    mastery_streak=st.integers(0, 10),
    last_reviewed_at=st.just(T0 - timedelta(days=1)),
)


def check_invariants(before: SrsState, after: SrsState, grade: Grade, config: SrsSettings) -> None:
    assert after.ease_factor >= config.minimum_ease
    assert after.level == level_for(after.ease_factor, after.interval_minutes, config)
    assert after.level == (
        2
        if after.ease_factor > config.level2_min_ease
        and after.interval_minutes > config.level2_min_interval_days * 1440
        else 1
    )
    if grade is Grade.FAIL:
        assert after.repetitions == 0
        assert after.interval_minutes == config.relearn_minutes
        assert after.lapses == before.lapses + 1
        assert not after.mastered and after.mastery_streak == 0
    else:
        assert after.repetitions == before.repetitions + 1
        assert after.lapses == before.lapses
    if grade in (Grade.GOOD, Grade.EASY):
        assert after.interval_minutes >= before.interval_minutes
    needed = config.angle_mastery_n if after.item_kind is ItemKind.ANGLE else config.mastery_n
    if after.mastery_streak >= needed:
        assert after.mastered
    if after.mastered:
        assert grade is not Grade.FAIL
        assert after.mastered_at is not None and after.mastered_at <= after.last_reviewed_at  # type: ignore[operator]
    if after.item_kind is ItemKind.ANGLE:
        assert (after.due_at is None) == after.mastered
    else:
        assert after.due_at is not None and after.due_at > after.last_reviewed_at  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(list(ItemKind)),
    answers=st.lists(st.tuples(grades, offsets), min_size=1, max_size=25),
    config=srs_settings,
)
def test_invariants_hold_along_any_answer_sequence(
    kind: ItemKind, answers: list[tuple[Grade, int]], config: SrsSettings
) -> None:
    state = SrsState.new_topic(config.initial_ease) if kind is ItemKind.TOPIC else SrsState.new_angle(2.5, T0)
    now = T0
    for grade, offset in answers:
        now = max(now, (state.due_at or now) + timedelta(minutes=offset))
        before = state
        state, outcome = review(state, grade, now, config)
        assert review(before, grade, now, config)[0] == state  # deterministic; the input is untouched
        check_invariants(before, state, grade, config)
        assert outcome.requests_angle == (grade is Grade.FAIL and kind is ItemKind.TOPIC)


@settings(max_examples=300, deadline=None)
@given(state=states, grade=grades, config=srs_settings)
def test_invariants_hold_from_any_stored_state(state: SrsState, grade: Grade, config: SrsSettings) -> None:
    after, _ = review(state, grade, T0, config)
    check_invariants(state, after, grade, config)


@settings(max_examples=100, deadline=None)
@given(state=states, config=srs_settings)
def test_next_states_match_single_reviews(state: SrsState, config: SrsSettings) -> None:
    outcomes = next_states(state, T0, config)
    assert set(outcomes) == set(Grade)
    for grade, after in outcomes.items():
        assert after == review(state, grade, T0, config)[0]
    assert outcomes[Grade.EASY].interval_minutes >= outcomes[Grade.GOOD].interval_minutes
