"""FSRS through the scheduler's HTTP API on real SQLite and PostgreSQL: the setting, reviews,
previews, angles, switching with the review log replayed, undo, backups, bad input."""

from __future__ import annotations

from typing import Any

from tests.scheduler.utils import Api


def settings_of(api: Api, lid: int) -> dict[str, Any]:
    return dict(api.ok(api.get(f"/learners/{lid}/settings")))


def switch(api: Api, lid: int, **fields: Any) -> dict[str, Any]:
    return dict(api.ok(api.patch(f"/learners/{lid}/settings", json=fields)))


def full_state(api: Api, lid: int, tid: int) -> dict[str, Any]:
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    return next(s for s in backup["srs_states"] if s["topic_id"] == tid and s["angle_id"] is None)


def test_new_learners_use_sm2_at_0_9_and_can_pick_fsrs_at_creation(api: Api) -> None:
    default = settings_of(api, api.learner())
    assert (default["algorithm"], default["desired_retention"]) == ("sm2", 0.9)
    lid = api.learner(settings={"algorithm": "fsrs", "desired_retention": 0.85})
    chosen = settings_of(api, lid)
    assert (chosen["algorithm"], chosen["desired_retention"]) == ("fsrs", 0.85)


def test_fsrs_learner_reviews_with_fsrs_intervals_previews_and_angles(api: Api) -> None:
    lid = api.learner(settings={"algorithm": "fsrs"})
    tid = api.topic(lid, "Fibrilación auricular")["id"]
    item = api.next(lid)[0]
    previews = {g: p["interval_minutes"] for g, p in item["next_states"].items()}
    assert previews == {"fail": 10, "hard": 15, "good": 2 * 1440, "easy": 8 * 1440}
    good = api.answer(lid, "topic", tid, "good")
    assert good["state"]["interval_days"] == 2
    assert round(good["state"]["stability"], 2) == 2.31
    assert good["state"]["fsrs_phase"] == "review"
    assert good["state"]["ease_factor"] == 2.5
    api.advance(days=2)
    fail = api.answer(lid, "topic", tid, "fail")
    assert fail["state"]["interval_minutes"] == 10
    assert fail["state"]["fsrs_phase"] == "relearning"
    assert fail["angle_created"]["label"] == "Sub-nodo B"


def test_switching_replays_the_log_and_switching_back_keeps_sm2s_state(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Sepsis")["id"]
    for grade, wait in (("easy", 1), ("easy", 8), ("easy", 29)):
        api.answer(lid, "topic", tid, grade)
        api.advance(days=wait)
    sm2 = full_state(api, lid, tid)
    assert (sm2["ease_factor"], sm2["repetitions"], sm2["stability"]) == (2.8, 3, None)

    assert switch(api, lid, algorithm="fsrs")["algorithm"] == "fsrs"
    fsrs = full_state(api, lid, tid)
    # The same log replayed by the pure core (tests/scheduler/test_srs_fsrs_golden.py): Easy × 3 at
    # 0, 1 and 9 days: FSRS memory exists, SM-2's fields are untouched, the version moved.
    assert fsrs["fsrs_phase"] == "review" and fsrs["stability"] > 14 and fsrs["difficulty"] == 1.0
    assert (fsrs["ease_factor"], fsrs["repetitions"]) == (2.8, 3)
    assert fsrs["version"] == sm2["version"] + 1
    assert fsrs["due_at"] != sm2["due_at"]

    api.advance(days=60)
    after = api.answer(lid, "topic", tid, "hard")["state"]
    assert after["ease_factor"] == 2.8 and after["repetitions"] == 3
    assert after["stability"] != fsrs["stability"]

    switch(api, lid, algorithm="sm2")
    back = full_state(api, lid, tid)
    assert (back["ease_factor"], back["repetitions"]) == (2.8, 3)
    assert back["due_at"] == full_state(api, lid, tid)["due_at"]
    api.advance(days=400)
    nxt = api.answer(lid, "topic", tid, "good")["state"]
    assert (nxt["ease_factor"], nxt["repetitions"]) == (2.8, 4)


def test_switching_is_consistent_with_undo(api: Api) -> None:
    lid = api.learner(settings={"algorithm": "fsrs"})
    tid = api.topic(lid, "Neumonía")["id"]
    api.answer(lid, "topic", tid, "good")
    api.advance(days=2)
    before = full_state(api, lid, tid)
    api.answer(lid, "topic", tid, "easy")
    api.ok(api.post(f"/learners/{lid}/reviews/undo"))
    restored = full_state(api, lid, tid)
    for key in ("stability", "difficulty", "fsrs_phase", "fsrs_step", "due_at", "level"):
        assert restored[key] == before[key], key
    # The undone review is not replayed: switching away and back gives the same memory.
    switch(api, lid, algorithm="sm2")
    switch(api, lid, algorithm="fsrs")
    replayed = full_state(api, lid, tid)
    assert replayed["stability"] == before["stability"]
    assert replayed["difficulty"] == before["difficulty"]


def test_backup_carries_fsrs_memory(api: Api) -> None:
    lid = api.learner(settings={"algorithm": "fsrs"})
    tid = api.topic(lid, "Ictus")["id"]
    api.answer(lid, "topic", tid, "good")
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    target = api.learner()
    api.ok(api.post(f"/learners/{target}/backup", json=backup))
    restored = api.ok(api.get(f"/learners/{target}/backup"))
    assert restored["learner"]["srs_settings"]["algorithm"] == "fsrs"
    assert restored["srs_states"][0]["stability"] == backup["srs_states"][0]["stability"]


def test_bad_fsrs_settings_are_422_and_change_nothing(api: Api) -> None:
    lid = api.learner()
    before = settings_of(api, lid)
    for body in (
        {"algorithm": "anki"},
        {"desired_retention": 1.5},
        {"desired_retention": "alta"},
        {"algorithm": "fsrs", "fsrs_level2_max_difficulty": 0},
    ):
        response = api.patch(f"/learners/{lid}/settings", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["message"]
    assert settings_of(api, lid) == before
