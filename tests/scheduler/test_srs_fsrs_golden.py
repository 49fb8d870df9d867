"""Golden sequences of the FSRS path of the pure core (py-fsrs 6.3.2, FSRS-6 default
parameters, no fuzz) under the product's rules: angles, levels, mastery, previews, switching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aimed_scheduler.srs import FsrsPhase, Grade, ItemKind, SrsSettings, SrsState, next_states, review
from aimed_scheduler.srs.fsrs_rules import SEED_DIFFICULTY, rebuild
from aimed_scheduler.srs.scheduler import switch_algorithm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FSRS = SrsSettings(algorithm="fsrs")
SM2 = SrsSettings()


def run(grades: list[Grade], settings: SrsSettings = FSRS, state: SrsState | None = None):
    """Answers each grade exactly when the item falls due; returns (state, outcome) pairs."""
    state = state or SrsState.new_topic(settings.initial_ease)
    now = T0
    steps = []
    for grade in grades:
        state, outcome = review(state, grade, now, settings)
        steps.append((state, outcome))
        now = state.due_at or now
    return steps


def days(steps) -> list[float]:
    return [round(s.interval_minutes / 1440, 3) for s, _ in steps]


def test_good_six_times_gives_fsrs6_intervals_and_reaches_level_2_then_mastery() -> None:
    steps = run([Grade.GOOD] * 6)
    assert days(steps) == [2, 11, 46, 163, 497, 1346]
    assert [round(s.stability, 2) for s, _ in steps] == [2.31, 10.96, 46.28, 162.86, 497.45, 1345.53]
    # Good keeps difficulty near its start (D0(Good) ≈ 2.12), so stability decides the level.
    assert [round(s.difficulty, 2) for s, _ in steps] == [2.12, 2.11, 2.1, 2.1, 2.09, 2.08]
    assert [s.level for s, _ in steps] == [1, 1, 2, 2, 2, 2]
    # Mastery: 3 successes done at level 2 (reviews 4, 5, 6), as with SM-2.
    assert [s.mastery_streak for s, _ in steps] == [0, 0, 0, 1, 2, 3]
    assert [o.became_mastered for _, o in steps] == [False] * 5 + [True]
    assert steps[-1][0].mastered_at == steps[-2][0].due_at


def test_fsrs_never_touches_sm2_fields() -> None:
    steps = run([Grade.EASY, Grade.FAIL, Grade.HARD, Grade.GOOD])
    assert {s.ease_factor for s, _ in steps} == {2.5}
    assert {s.repetitions for s, _ in steps} == {0}


def test_fail_on_a_topic_opens_an_angle_relearns_in_ten_minutes_and_raises_difficulty() -> None:
    steps = run([Grade.GOOD, Grade.GOOD, Grade.FAIL, Grade.GOOD, Grade.GOOD])
    fail, outcome = steps[2]
    assert outcome.requests_angle
    assert fail.interval_minutes == 10
    assert fail.fsrs_phase is FsrsPhase.RELEARNING
    assert fail.lapses == 1
    assert [round(s.stability, 2) for s, _ in steps] == [2.31, 10.96, 1.54, 1.57, 4.93]
    assert [round(s.difficulty, 2) for s, _ in steps] == [2.12, 2.11, 7.39, 7.38, 7.37]
    # Above the difficulty threshold (5): Good answers alone do not bring level 2 back.
    assert [s.level for s, _ in steps] == [1, 1, 1, 1, 1]
    assert [o.requests_angle for _, o in steps] == [False, False, True, False, False]


def test_hard_answers_raise_difficulty_and_keep_level_1_despite_long_stability() -> None:
    steps = run([Grade.GOOD] + [Grade.HARD] * 6)
    assert days(steps) == [2, 8, 19, 36, 57, 81, 107]
    assert steps[-1][0].stability > FSRS.fsrs_level2_min_stability_days
    assert steps[-1][0].difficulty > FSRS.fsrs_level2_max_difficulty
    assert {s.level for s, _ in steps} == {1}


def test_easy_answers_reach_level_2_on_the_second_review() -> None:
    steps = run([Grade.EASY] * 3)
    assert days(steps) == [8, 66, 397]
    assert [s.difficulty for s, _ in steps] == [1.0, 1.0, 1.0]
    assert [s.level for s, _ in steps] == [1, 2, 2]


def test_a_fail_removes_mastery() -> None:
    steps = run([Grade.GOOD] * 6 + [Grade.FAIL])
    assert steps[-2][0].mastered
    assert not steps[-1][0].mastered
    assert steps[-1][0].mastery_streak == 0


@pytest.mark.parametrize(
    ("retention", "expected"), [(0.8, [8, 75, 521]), (0.9, [2, 11, 46]), (0.95, [1, 3, 8])]
)
def test_desired_retention_sets_the_intervals(retention: float, expected: list[int]) -> None:
    steps = run([Grade.GOOD] * 3, SrsSettings(algorithm="fsrs", desired_retention=retention))
    assert days(steps) == expected


def test_previews_of_a_new_item_read_10_min_15_min_2_d_8_d() -> None:
    previews = next_states(SrsState.new_topic(2.5), T0, FSRS)
    assert {g.value: s.interval_minutes for g, s in previews.items()} == {
        "fail": 10,
        "hard": 15,
        "good": 2 * 1440,
        "easy": 8 * 1440,
    }
    # Previews are the real answers: same states as reviewing.
    assert previews[Grade.GOOD] == review(SrsState.new_topic(2.5), Grade.GOOD, T0, FSRS)[0]


def test_previews_differ_between_algorithms_for_the_same_item() -> None:
    state = run([Grade.GOOD, Grade.GOOD], SM2)[-1][0]
    sm2 = {g.value: s.interval_minutes // 1440 for g, s in next_states(state, state.due_at, SM2).items()}
    assert sm2 == {"fail": 0, "hard": 1, "good": 15, "easy": 21}  # Easy: EF 2.6, round(16 × 1.3)
    fsrs_state = switch_algorithm(state, [(Grade.GOOD, T0), (Grade.GOOD, T0 + timedelta(days=1))], FSRS)
    fsrs = {g.value: s.interval_minutes for g, s in next_states(fsrs_state, state.due_at, FSRS).items()}
    assert fsrs["fail"] == 10
    assert fsrs["hard"] < fsrs["good"] < fsrs["easy"]


def test_an_angle_is_mastered_after_two_successes_and_leaves_the_calendar() -> None:
    steps = run([Grade.GOOD, Grade.GOOD], state=SrsState.new_angle(2.5, T0))
    assert steps[0][0].due_at == T0 + timedelta(days=2)
    assert steps[1][0].mastered
    assert steps[1][0].due_at is None
    assert not any(o.requests_angle for _, o in steps)


def test_rebuild_from_the_log_equals_reviewing_live() -> None:
    grades = [Grade.GOOD, Grade.HARD, Grade.FAIL, Grade.GOOD, Grade.EASY]
    steps = run(grades)
    history = [(g, o.reviewed_at) for g, (_, o) in zip(grades, steps, strict=True)]
    live = steps[-1][0]
    # The same item as SM-2 left it: no FSRS memory yet, SM-2's own fields.
    as_sm2 = live.evolve(stability=None, difficulty=None, fsrs_phase=None, fsrs_step=None, ease_factor=2.18)
    rebuilt = rebuild(as_sm2, history, FSRS)
    assert rebuilt.stability == live.stability
    assert rebuilt.difficulty == live.difficulty
    assert rebuilt.fsrs_phase is live.fsrs_phase
    assert rebuilt.due_at == live.due_at
    assert rebuilt.level == live.level
    assert rebuilt.ease_factor == 2.18  # SM-2's field is left alone


def test_switching_to_fsrs_and_back_keeps_sm2s_last_state() -> None:
    sm2_steps = run([Grade.EASY, Grade.EASY, Grade.EASY], SM2)
    state = sm2_steps[-1][0]
    assert (state.ease_factor, state.repetitions, state.level) == (2.8, 3, 2)
    history = [(Grade.EASY, o.reviewed_at) for _, o in sm2_steps]
    as_fsrs = switch_algorithm(state, history, FSRS)
    assert as_fsrs.stability is not None and as_fsrs.fsrs_phase is FsrsPhase.REVIEW
    after_fsrs, _ = review(as_fsrs, Grade.HARD, as_fsrs.due_at or T0, FSRS)
    back = switch_algorithm(after_fsrs, [*history, (Grade.HARD, after_fsrs.last_reviewed_at)], SM2)
    assert (back.ease_factor, back.repetitions) == (2.8, 3)
    assert back.due_at == after_fsrs.due_at
    assert back.level == 2  # SM-2's rule: EF 2.8 > 2.6 and the interval > 7 days
    # The next SM-2 answer continues from SM-2's ease factor.
    nxt, _ = review(back, Grade.GOOD, back.due_at or T0, SM2)
    assert nxt.ease_factor == 2.8
    assert nxt.repetitions == 4


def test_an_item_with_state_but_no_log_is_seeded_from_its_interval() -> None:
    imported = SrsState(
        item_kind=ItemKind.TOPIC,
        ease_factor=2.5,
        interval_minutes=20 * 1440,
        repetitions=3,
        due_at=T0,
        first_reviewed_at=T0 - timedelta(days=40),
        last_reviewed_at=T0 - timedelta(days=20),
    )
    seeded = switch_algorithm(imported, [], FSRS)
    assert (seeded.stability, seeded.difficulty, seeded.fsrs_phase) == (
        20.0,
        SEED_DIFFICULTY,
        FsrsPhase.REVIEW,
    )
    assert seeded.level == 2  # 20 d >= 14 d and difficulty 5 <= 5
    assert seeded.due_at == T0
    new = SrsState.new_topic(2.5)
    assert switch_algorithm(new, [], FSRS) == new


def test_bad_fsrs_settings_are_all_reported_at_once() -> None:
    with pytest.raises(ValueError) as info:
        SrsSettings(algorithm="anki", desired_retention=1.2, fsrs_level2_max_difficulty=11)
    message = str(info.value)
    assert "algorithm must be one of sm2, fsrs" in message
    assert "desired_retention must be between 0.7 and 0.99" in message
    assert "fsrs_level2_max_difficulty must be between 1 and 10" in message


def test_fsrs_review_requires_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        review(SrsState.new_topic(2.5), Grade.GOOD, datetime(2026, 1, 5), FSRS)
