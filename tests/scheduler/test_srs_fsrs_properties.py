"""Property tests of the FSRS path of the core over random answer sequences and timings:
the product's rules hold, SM-2's fields are never touched, replaying the log rebuilds the
same memory, and a learner may switch back and forth without losing SM-2's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aimed_scheduler.srs import FsrsPhase, Grade, ItemKind, SrsSettings, SrsState, review, switch_algorithm
from aimed_scheduler.srs.fsrs_rules import level_for, rebuild

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

grades = st.sampled_from(list(Grade))
# Answer on time, early or late (minutes relative to due).
offsets = st.integers(min_value=-600, max_value=60 * 24 * 90)
fsrs_settings = st.builds(
    SrsSettings,
    algorithm=st.just("fsrs"),
    desired_retention=st.floats(0.7, 0.99).map(lambda x: round(x, 2)),
    relearn_minutes=st.integers(1, 120),
    fsrs_level2_min_stability_days=st.floats(1, 60).map(lambda x: round(x, 1)),
    fsrs_level2_max_difficulty=st.floats(1, 10).map(lambda x: round(x, 1)),
    mastery_n=st.integers(1, 5),
    angle_mastery_n=st.integers(1, 5),
)


def answer_all(
    state: SrsState, answers: list[tuple[Grade, int]], config: SrsSettings
) -> tuple[SrsState, list[tuple[Grade, datetime]]]:
    now = T0
    history = []
    for grade, offset in answers:
        now = max(now + timedelta(minutes=1), (state.due_at or now) + timedelta(minutes=offset))
        before = state
        state, outcome = review(state, grade, now, config)
        history.append((grade, now))
        assert state.ease_factor == before.ease_factor and state.repetitions == before.repetitions
        assert state.stability is not None and state.stability > 0
        assert state.difficulty is not None and 1 <= state.difficulty <= 10
        assert state.level == level_for(state.stability, state.difficulty, config)
        assert outcome.requests_angle == (grade is Grade.FAIL and state.item_kind is ItemKind.TOPIC)
        if grade is Grade.FAIL:
            assert state.interval_minutes == config.relearn_minutes
            assert state.fsrs_phase in (FsrsPhase.LEARNING, FsrsPhase.RELEARNING)
            assert state.lapses == before.lapses + 1
            assert not state.mastered and state.mastery_streak == 0
        else:
            assert state.lapses == before.lapses
        if state.due_at is not None:
            assert state.due_at == now + timedelta(minutes=state.interval_minutes)
    return state, history


@settings(max_examples=150, deadline=None)
@given(answers=st.lists(st.tuples(grades, offsets), min_size=1, max_size=25), config=fsrs_settings)
def test_fsrs_answers_keep_the_rules_and_replay_to_the_same_memory(
    answers: list[tuple[Grade, int]], config: SrsSettings
) -> None:
    final, history = answer_all(SrsState.new_topic(config.initial_ease), answers, config)
    rebuilt = rebuild(SrsState.new_topic(config.initial_ease), history, config)
    assert (rebuilt.stability, rebuilt.difficulty, rebuilt.fsrs_phase, rebuilt.fsrs_step) == (
        final.stability,
        final.difficulty,
        final.fsrs_phase,
        final.fsrs_step,
    )
    assert rebuilt.due_at == final.due_at
    assert rebuilt.level == final.level


@settings(max_examples=100, deadline=None)
@given(
    sm2_answers=st.lists(st.tuples(grades, offsets), min_size=1, max_size=10),
    fsrs_answers=st.lists(st.tuples(grades, offsets), min_size=0, max_size=10),
    config=fsrs_settings,
)
def test_switching_to_fsrs_and_back_keeps_sm2s_ease_and_repetitions(
    sm2_answers: list[tuple[Grade, int]], fsrs_answers: list[tuple[Grade, int]], config: SrsSettings
) -> None:
    sm2 = SrsSettings(relearn_minutes=config.relearn_minutes)
    state = SrsState.new_topic(sm2.initial_ease)
    now = T0
    history = []
    for grade, offset in sm2_answers:
        now = max(now + timedelta(minutes=1), (state.due_at or now) + timedelta(minutes=offset))
        state, _ = review(state, grade, now, sm2)
        history.append((grade, now))
    sm2_last = (state.ease_factor, state.repetitions)
    as_fsrs = switch_algorithm(state, history, config)
    assert (as_fsrs.ease_factor, as_fsrs.repetitions) == sm2_last
    assert as_fsrs.stability is not None
    for grade, offset in fsrs_answers:
        now = max(now + timedelta(minutes=1), (as_fsrs.due_at or now) + timedelta(minutes=offset))
        as_fsrs, _ = review(as_fsrs, grade, now, config)
    back = switch_algorithm(as_fsrs, [], sm2)
    assert (back.ease_factor, back.repetitions) == sm2_last
    assert back.due_at == as_fsrs.due_at
    assert back.lapses == as_fsrs.lapses
