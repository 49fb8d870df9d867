"""Dashboard statistics and the lossless learner backup."""

from __future__ import annotations

from typing import Any

from tests.scheduler.utils import Api


def test_stats_count_due_forecast_levels_heatmap_and_success(api: Api) -> None:
    lid = api.learner(timezone="UTC", daily_new_limit=10)
    a = api.topic(lid, "A", modulo="Cardiología")["id"]
    b = api.topic(lid, "B", modulo="Cardiología")["id"]
    c = api.topic(lid, "C", modulo="Neumología")["id"]
    api.topic(lid, "D", modulo="Neumología")
    api.answer(lid, "topic", a, "easy")  # due +1 d
    api.answer(lid, "topic", b, "good")  # due +1 d
    api.answer(lid, "topic", c, "fail")  # due +10 min, angle due now
    api.advance(days=1)  # 2026-03-03 08:00 UTC
    api.answer(lid, "topic", a, "easy")  # EF 2.7, 8 d → level 2, due 03-11
    stats = api.ok(api.get(f"/learners/{lid}/stats", params={"days": 10}))
    assert stats["due_today"] == 3  # B, C and the angle
    assert [d["count"] for d in stats["forecast"]] == [3, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert stats["forecast"][0]["date"] == "2026-03-03"
    assert stats["by_modulo"] == [
        {"modulo": "Cardiología", "total": 2, "level1": 1, "level2": 1, "mastered": 0},
        {"modulo": "Neumología", "total": 2, "level1": 2, "level2": 0, "mastered": 0},
    ]
    assert stats["heatmap"] == [{"date": "2026-03-02", "count": 3}, {"date": "2026-03-03", "count": 1}]
    assert stats["reviews_total"] == 4
    assert stats["success_rate"] == 0.75
    assert stats["angles_in_progress"] == 1
    assert stats["new_available_today"] == 1


def _without_ids(backup: dict[str, Any]) -> dict[str, Any]:
    """Replaces every id by its position so two backups of different learners compare."""
    tables = ("topics", "contexts", "angles", "cards", "reviews")
    rank = {t: {row["id"]: i for i, row in enumerate(backup[t])} for t in tables}
    out: dict[str, Any] = {"learner": {**backup["learner"]}}
    for table in (*tables, "srs_states"):
        rows = []
        for row in backup[table]:
            row = dict(row)
            if "id" in row:
                row["id"] = rank[table][row["id"]]
            for key, target in (("topic_id", "topics"), ("angle_id", "angles"), ("card_id", "cards")):
                if row.get(key) is not None:
                    row[key] = rank[target][row[key]]
            if row.get("origin_review_id") is not None:
                row["origin_review_id"] = rank["reviews"][row["origin_review_id"]]
            if "context_ids" in row:
                row["context_ids"] = [rank["contexts"][x] for x in row["context_ids"]]
            if table == "reviews":
                row["item_id"] = rank["topics" if row["item_type"] == "topic" else "angles"].get(
                    row["item_id"]
                )
            rows.append(row)
        out[table] = rows
    return out


def test_backup_restores_losslessly_into_an_empty_learner(api: Api) -> None:
    lid = api.learner(settings={"relearn_minutes": 12}, daily_new_limit=3)
    tid = api.topic(lid, "Pancreatitis aguda", modulo="Digestivo")["id"]
    ctx = api.ok(
        api.post(
            f"/learners/{lid}/topics/{tid}/contexts", json={"source_label": "GPC", "text": "Lipasa > 3×"}
        ),
        201,
    )
    angle_id = api.answer(lid, "topic", tid, "fail")["angle_created"]["id"]
    card = api.ok(
        api.post(
            f"/learners/{lid}/cards",
            json={
                "topic_id": tid,
                "angle_id": angle_id,
                "kind": "drill_mcq",
                "level": 1,
                "payload": {"q": "¿?"},
                "context_ids": [ctx["id"]],
                "model_id": "m",
            },
        ),
        201,
    )
    api.ok(
        api.post(
            f"/learners/{lid}/reviews",
            json={
                "item_type": "angle",
                "item_id": angle_id,
                "card_id": card["id"],
                "grade": "good",
                "idempotency_key": "x",
                "expected_version": 1,
                "answer": "Texto libre",
            },
        )
    )
    original = api.ok(api.get(f"/learners/{lid}/backup"))

    target = api.learner(name="Copia")
    restored = api.ok(api.post(f"/learners/{target}/backup", json=original))
    assert restored == {"topics": 1, "contexts": 1, "angles": 1, "srs_states": 2, "cards": 1, "reviews": 2}
    copy = api.ok(api.get(f"/learners/{target}/backup"))
    original["learner"]["name"] = copy["learner"]["name"]
    original["learner"]["created_at"] = copy["learner"]["created_at"]
    assert _without_ids(copy) == _without_ids(original)

    again = api.post(f"/learners/{target}/backup", json=original)
    assert again.status_code == 409 and again.json()["error"]["type"] == "learner_not_empty"


def test_backup_with_naive_datetime_or_broken_reference_is_rejected_whole(api: Api) -> None:
    lid = api.learner()
    api.topic(lid, "Cirrosis")
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    target = api.learner(name="Destino")
    naive = {**backup, "topics": [{**backup["topics"][0], "created_at": "2026-03-02T08:00:00"}]}
    response = api.post(f"/learners/{target}/backup", json=naive)
    assert response.status_code == 422 and "timezone" in response.json()["error"]["message"].lower()
    broken = {**backup, "srs_states": [{**backup["srs_states"][0], "topic_id": 424242}]}
    response = api.post(f"/learners/{target}/backup", json=broken)
    assert response.status_code == 422
    assert any("srs_states[0]" in problem for problem in response.json()["error"]["detail"])
    assert api.ok(api.get(f"/learners/{target}/topics"))["count"] == 0
