"""Golden sequences of the pure SM-2 core: exact intervals, ease factors, levels and mastery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aimed_contracts.scheduler_api import ReviewCreate
from aimed_scheduler.srs import Grade, ItemKind, SrsSettings, SrsState, next_angle, next_states, review
from aimed_scheduler.srs.angles import angle_label

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SETTINGS = SrsSettings()


def run(grades: list[Grade], state: SrsState | None = None, settings: SrsSettings = SETTINGS):
    """Answers each grade exactly when the item falls due; returns every state on the way."""
    state = state or SrsState.new_topic(settings.initial_ease)
    now = T0
    states = []
    for grade in grades:
        state, _ = review(state, grade, now, settings)
        states.append(state)
        now = state.due_at or now
    return states


def test_good_four_times_from_new_gives_1_6_15_38_days_with_ease_unchanged() -> None:
    states = run([Grade.GOOD] * 4)
    assert [s.interval_days for s in states] == [1, 6, 15, 38]
    assert [s.ease_factor for s in states] == [2.5, 2.5, 2.5, 2.5]
    assert [s.repetitions for s in states] == [1, 2, 3, 4]
    assert states[-1].due_at == T0 + timedelta(days=1 + 6 + 15 + 38)


def test_easy_mix_exact_ease_and_intervals() -> None:
    # Easy: EF +0.1; interval = round(Good interval × 1.3). Good: 1, 6, then round(I × EF').
    states = run([Grade.EASY, Grade.EASY, Grade.EASY, Grade.GOOD])
    assert [s.ease_factor for s in states] == [2.6, 2.7, 2.8, 2.8]
    # 1×1.3=1.3→1; 6×1.3=7.8→8; round(8×2.8)=22 (22.4), 22×1.3=28.6→29; round(29×2.8)=81 (81.2)
    assert [s.interval_days for s in states] == [1, 8, 29, 81]
    assert [s.level for s in states] == [1, 2, 2, 2]


def test_intervals_stop_at_100_years_so_a_run_of_easy_answers_keeps_a_valid_date() -> None:
    # Unbounded, 25 Easy answers at EF 4.0 and a 2.0 bonus overflowed datetime (year 9999)
    # and the interval column; SM-2 stops at FSRS's and Anki's maximum, 36,500 days.
    settings = SrsSettings(easy_bonus=2.0)
    start = SrsState.new_topic(4.0)
    states = run([Grade.EASY] * 25, start, settings)
    assert max(s.interval_days for s in states) == 36_500
    assert states[-1].interval_days == 36_500
    assert all(s.interval_minutes < 2**31 for s in states)
    good = review(states[-1], Grade.GOOD, states[-1].due_at, settings)[0]
    assert good.interval_days == 36_500


def test_fail_relearns_in_minutes_resets_repetitions_and_counts_a_lapse() -> None:
    states = run([Grade.GOOD, Grade.GOOD, Grade.FAIL, Grade.GOOD, Grade.GOOD, Grade.GOOD])
    fail = states[2]
    assert fail.interval_minutes == 10
    assert fail.repetitions == 0
    assert fail.lapses == 1
    assert fail.ease_factor == 1.96  # 2.5 − 0.54
    # After the lapse the SM-2 ladder restarts: 1, 6, then round(6 × 1.96) = 12 (11.76).
    assert [s.interval_days for s in states[3:]] == [1, 6, 12]
    assert [s.ease_factor for s in states] == [2.5, 2.5, 1.96, 1.96, 1.96, 1.96]


def test_hard_is_one_day_and_lowers_ease_by_0_14() -> None:
    states = run([Grade.GOOD, Grade.GOOD, Grade.HARD, Grade.GOOD])
    assert [s.interval_days for s in states] == [1, 6, 1, 2]  # Good after Hard: round(1 × 2.36)
    assert [s.ease_factor for s in states] == [2.5, 2.5, 2.36, 2.36]
    assert states[2].repetitions == 3  # q=3 is a correct recall in SM-2


def test_ease_never_drops_below_1_3() -> None:
    states = run([Grade.FAIL] * 5)
    assert [s.ease_factor for s in states] == [1.96, 1.42, 1.3, 1.3, 1.3]
    assert all(s.lapses == i + 1 for i, s in enumerate(states))


def test_relearn_minutes_come_from_settings() -> None:
    state, outcome = review(SrsState.new_topic(2.5), Grade.FAIL, T0, SrsSettings(relearn_minutes=25))
    assert state.due_at == T0 + timedelta(minutes=25)
    assert outcome.interval_minutes == 25


@pytest.mark.parametrize(
    ("ease", "interval_days", "level"),
    [
        (2.6, 30, 1),  # 2.6 is not > 2.6
        (2.61, 7, 1),  # 7 days is not > 7 days
        (2.61, 8, 2),
        (2.7, 8, 2),
    ],
)
def test_level_two_thresholds_are_strict(ease: float, interval_days: int, level: int) -> None:
    from aimed_scheduler.srs.scheduler import level_for

    assert level_for(ease, interval_days * 1440, SETTINGS) == level


def test_level_two_entry_exactly_at_the_threshold_through_reviews() -> None:
    # One Easy then Goods: EF stays 2.6, which is not > 2.6, so level stays 1 however long the interval.
    states = run([Grade.EASY] + [Grade.GOOD] * 4)
    assert {s.ease_factor for s in states} == {2.6}
    assert states[-1].interval_days > 7
    assert all(s.level == 1 for s in states)
    # A second Easy lifts EF to 2.7 with an 8-day interval: level 2.
    states = run([Grade.EASY, Grade.EASY])
    assert (states[-1].ease_factor, states[-1].interval_days, states[-1].level) == (2.7, 8, 2)


def test_mastery_after_three_successful_level_two_reviews_and_fail_clears_it() -> None:
    states = run([Grade.EASY, Grade.EASY, Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.FAIL])
    # Reviews 3, 4, 5 are done at level 2 (level 2 reached after review 2).
    assert [s.mastery_streak for s in states] == [0, 0, 1, 2, 3, 4, 0]
    assert [s.mastered for s in states] == [False, False, False, False, True, True, False]
    assert states[4].mastered_at == states[3].due_at  # stamped when the 3rd level-2 success happened
    assert states[5].mastered_at == states[4].mastered_at  # later successes keep the first stamp
    assert states[-1].mastered_at is None and states[-1].level == 1


def test_mastery_n_is_configurable() -> None:
    settings = SrsSettings(mastery_n=1)
    states = run([Grade.EASY, Grade.EASY, Grade.GOOD], settings=settings)
    assert [s.mastered for s in states] == [False, False, True]


def test_fail_on_topic_requests_the_next_unused_perspective() -> None:
    _, outcome = review(SrsState.new_topic(2.5), Grade.FAIL, T0, SETTINGS)
    assert outcome.requests_angle
    first = next_angle([], SETTINGS)
    second = next_angle(["complicaciones"], SETTINGS)
    assert first is not None and (first.perspective, first.label) == ("complicaciones", "Sub-nodo B")
    assert second is not None and (second.perspective, second.label) == (
        "diagnóstico diferencial",
        "Sub-nodo C",
    )
    assert next_angle(list(SETTINGS.perspectives), SETTINGS) is None
    assert angle_label(24) == "Sub-nodo Z"


def test_angle_fail_reschedules_without_nesting_and_mastery_after_n_successes() -> None:
    angle = SrsState.new_angle(2.5, T0)
    assert angle.due_at == T0  # due at once
    failed, outcome = review(angle, Grade.FAIL, T0, SETTINGS)
    assert not outcome.requests_angle
    assert failed.due_at == T0 + timedelta(minutes=10)
    states = run([Grade.GOOD, Grade.HARD], state=failed)
    assert [s.mastery_streak for s in states] == [1, 2]
    assert states[-1].mastered and states[-1].due_at is None  # leaves the calendar
    assert states[-1].item_kind is ItemKind.ANGLE


def test_next_states_gives_all_four_outcomes_without_touching_the_input() -> None:
    state = run([Grade.GOOD, Grade.GOOD])[-1]
    outcomes = next_states(state, T0, SETTINGS)
    # Easy uses EF' = 2.6: Good interval round(6 × 2.6) = 16 (15.6), × 1.3 = 20.8 → 21 days.
    assert {g: o.interval_minutes for g, o in outcomes.items()} == {
        Grade.FAIL: 10,
        Grade.HARD: 1440,
        Grade.GOOD: 15 * 1440,
        Grade.EASY: 21 * 1440,
    }
    assert {g: o.ease_factor for g, o in outcomes.items()} == {
        Grade.FAIL: 1.96,
        Grade.HARD: 2.36,
        Grade.GOOD: 2.5,
        Grade.EASY: 2.6,
    }
    assert state.interval_days == 6 and state.repetitions == 2


def test_bad_input_raises_value_error_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        review(SrsState.new_topic(2.5), Grade.GOOD, datetime(2026, 1, 1), SETTINGS)
    with pytest.raises(ValueError, match="grade"):
        review(SrsState.new_topic(2.5), "good", T0, SETTINGS)  # type: ignore[arg-type]
    # A grade arrives as text only on the wire, where the API model names the four.
    with pytest.raises(ValueError, match="'fail', 'hard', 'good' or 'easy'"):
        ReviewCreate(card_id=1, grade="meh", idempotency_key="k", expected_version=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        SrsState(item_kind=ItemKind.TOPIC, ease_factor=2.5, due_at=datetime(2026, 1, 1))


def test_settings_report_every_problem_at_once() -> None:
    with pytest.raises(ValueError) as info:
        SrsSettings(relearn_minutes=0, easy_bonus=0.5, mastery_n=0, perspectives=("a", "A"))
    message = str(info.value)
    for expected in ("relearn_minutes", "easy_bonus", "mastery_n", "perspectives must be unique"):
        assert expected in message
    with pytest.raises(ValueError, match="unknown keys"):
        SrsSettings.from_dict({"relearn": 5})
