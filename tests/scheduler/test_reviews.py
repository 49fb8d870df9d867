"""Recording reviews through the HTTP API: idempotency, optimistic versions, angles, undo."""

from __future__ import annotations

import pytest

from tests.scheduler.utils import Api


def backup_counts(api: Api, learner_id: int) -> dict[str, int]:
    data = api.ok(api.get(f"/learners/{learner_id}/backup"))
    return {key: len(data[key]) for key in ("topics", "angles", "srs_states", "cards", "reviews")}


def test_review_updates_state_and_replays_the_same_key(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Fibrilación auricular")["id"]
    first = api.ok(api.review_raw(lid, "topic", tid, "good", 1, key="tap-1"))
    assert first["replayed"] is False
    assert first["state"]["version"] == 2
    assert first["state"]["interval_days"] == 1
    again = api.ok(api.review_raw(lid, "topic", tid, "good", 1, key="tap-1"))
    assert again["replayed"] is True
    assert again["review_id"] == first["review_id"]
    assert again["state"] == first["state"]
    assert backup_counts(api, lid)["reviews"] == 1
    assert api.state(lid, "topic", tid)["version"] == 2


def test_same_key_for_another_item_is_a_conflict(api: Api) -> None:
    lid = api.learner()
    a = api.topic(lid, "Sepsis")["id"]
    b = api.topic(lid, "Shock")["id"]
    api.ok(api.review_raw(lid, "topic", a, "good", 1, key="k"))
    response = api.review_raw(lid, "topic", b, "good", 1, key="k")
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "idempotency_key_reused"


def test_stale_version_is_409_and_writes_nothing(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Neumonía")["id"]
    api.ok(api.review_raw(lid, "topic", tid, "good", 1))
    before = api.ok(api.get(f"/learners/{lid}/backup"))
    response = api.review_raw(lid, "topic", tid, "easy", 1)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "stale_version"
    assert error["detail"] == {"expected_version": 1, "current_version": 2}
    after = api.ok(api.get(f"/learners/{lid}/backup"))
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in before.items() if k != "exported_at"
    }


def test_fail_on_topic_opens_the_next_angle_and_angle_fail_does_not_nest(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Insuficiencia cardiaca")["id"]
    outcome = api.answer(lid, "topic", tid, "fail")
    angle = outcome["angle_created"]
    assert (angle["perspective"], angle["label"], angle["status"]) == (
        "complicaciones",
        "Sub-nodo B",
        "active",
    )
    assert angle["srs"]["due_at"] == outcome["reviewed_at"].replace("+00:00", "Z")
    assert angle["origin_review_id"] == outcome["review_id"]

    angle_fail = api.answer(lid, "angle", angle["id"], "fail")
    assert angle_fail["angle_created"] is None
    assert angle_fail["state"]["interval_minutes"] == 10

    api.advance(minutes=15)
    second = api.answer(lid, "topic", tid, "fail")["angle_created"]
    assert (second["perspective"], second["label"]) == ("diagnóstico diferencial", "Sub-nodo C")
    angles = api.ok(api.get(f"/learners/{lid}/angles", params={"topic_id": tid}))
    assert [a["label"] for a in angles["data"]] == ["Sub-nodo B", "Sub-nodo C"]


def test_angle_is_mastered_after_n_successes_and_leaves_the_calendar(api: Api) -> None:
    lid = api.learner()
    api.ok(api.patch(f"/learners/{lid}/settings", json={"angle_mastery_n": 2}))
    tid = api.topic(lid, "EPOC")["id"]
    angle_id = api.answer(lid, "topic", tid, "fail")["angle_created"]["id"]
    api.answer(lid, "angle", angle_id, "good")
    api.advance(days=1)
    done = api.answer(lid, "angle", angle_id, "good")
    assert done["state"]["mastered"] is True and done["state"]["due_at"] is None
    angle = api.ok(api.get(f"/learners/{lid}/angles/{angle_id}"))
    assert angle["status"] == "mastered"
    api.advance(days=30)
    assert all(item["item_type"] == "topic" for item in api.next(lid))


def test_undo_restores_the_exact_previous_state_and_removes_the_angle(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Diabetes tipo 2")["id"]
    api.answer(lid, "topic", tid, "good")
    api.advance(days=1)
    api.answer(lid, "topic", tid, "good")
    api.advance(days=6)
    before = api.ok(api.get(f"/learners/{lid}/backup"))
    state_before = next(s for s in before["srs_states"] if s["angle_id"] is None)

    failed = api.answer(lid, "topic", tid, "fail")
    angle_id = failed["angle_created"]["id"]
    undone = api.ok(api.post(f"/learners/{lid}/reviews/undo"))
    assert undone["review_id"] == failed["review_id"]
    assert undone["angle_removed_id"] == angle_id

    after = api.ok(api.get(f"/learners/{lid}/backup"))
    state_after = next(s for s in after["srs_states"] if s["angle_id"] is None)
    # Every SRS field is back; only the version moves forward so stale clients still get 409.
    assert {k: v for k, v in state_after.items() if k != "version"} == {
        k: v for k, v in state_before.items() if k != "version"
    }
    assert state_after["version"] == state_before["version"] + 2
    assert after["angles"] == []
    review = next(r for r in after["reviews"] if r["id"] == failed["review_id"])
    assert review["undone_at"] is not None  # kept in the log, marked
    assert api.get(f"/learners/{lid}/angles/{angle_id}").status_code == 404
    # A client holding the version of the undone review is refused.
    assert api.review_raw(lid, "topic", tid, "good", failed["state"]["version"]).status_code == 409

    # Undo walks back one review at a time, then says there is nothing left.
    api.ok(api.post(f"/learners/{lid}/reviews/undo"))
    api.ok(api.post(f"/learners/{lid}/reviews/undo"))
    nothing = api.post(f"/learners/{lid}/reviews/undo")
    assert nothing.status_code == 409 and nothing.json()["error"]["type"] == "nothing_to_undo"
    topic = api.ok(api.get(f"/learners/{lid}/topics/{tid}"))
    assert topic["srs"]["repetitions"] == 0 and topic["srs"]["due_at"] is None


def test_invalid_grade_is_422_naming_the_allowed_values(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Asma")["id"]
    response = api.review_raw(lid, "topic", tid, "perfect", 1)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    for grade in ("fail", "hard", "good", "easy"):
        assert grade in message
    assert api.state(lid, "topic", tid)["version"] == 1


@pytest.mark.parametrize("item_type", ["topic", "angle"])
def test_unknown_and_foreign_ids_answer_404_alike(api: Api, item_type: str) -> None:
    owner = api.learner(name="Ana")
    other = api.learner(name="Luis")
    tid = api.topic(owner, "Hipertensión")["id"]
    item_id = tid if item_type == "topic" else api.answer(owner, "topic", tid, "fail")["angle_created"]["id"]
    foreign = api.review_raw(other, item_type, item_id, "good", 1)
    unknown = api.review_raw(other, item_type, 999_999, "good", 1)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["type"] == unknown.json()["error"]["type"] == "not_found"
    path = "topics" if item_type == "topic" else "angles"
    assert api.get(f"/learners/{other}/{path}/{item_id}").status_code == 404
    assert api.get(f"/learners/{owner}/{path}/{item_id}").status_code == 200
    assert api.get("/learners/999999/next").status_code == 404


def test_naive_clock_header_is_422_and_override_needs_the_setting(api: Api) -> None:
    lid = api.learner()
    response = api.client.get(f"/v1/learners/{lid}/next", headers={"X-Aimed-Now": "2026-03-02T08:00:00"})
    assert response.status_code == 422
    assert "timezone" in response.json()["error"]["message"]


def test_an_angles_origin_review_can_be_read_back_with_its_card(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Tromboembolismo pulmonar")["id"]
    card = {
        "topic_id": tid,
        "kind": "drill_mcq",
        "level": 1,
        "payload": {"question": "¿Qué prueba confirma el diagnóstico?"},
        "markdown": "# Pregunta",
        "context_ids": [],
        "model_id": "demo.gguf",
        "grounding_report": {"valid": True, "issues": []},
    }
    card_id = api.ok(api.post(f"/learners/{lid}/cards", json=card), 201)["id"]
    body = {
        "item_type": "topic",
        "item_id": tid,
        "card_id": card_id,
        "grade": "fail",
        "chosen_option": 2,
        "correct": False,
        "idempotency_key": "origin-1",
        "expected_version": 1,
    }
    angle = api.ok(api.post(f"/learners/{lid}/reviews", json=body))["angle_created"]
    review = api.ok(api.get(f"/learners/{lid}/reviews/{angle['origin_review_id']}"))
    assert (review["card_id"], review["grade"], review["chosen_option"]) == (card_id, "fail", 2)
    assert review["topic_id"] == tid and review["undone_at"] is None
    assert api.ok(api.get(f"/learners/{lid}/cards/{card_id}"))["payload"]["question"].startswith("¿Qué")
    other = api.learner()
    missing = api.get(f"/learners/{other}/reviews/{angle['origin_review_id']}")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    assert api.get(f"/learners/{lid}/reviews/987654").status_code == 404
