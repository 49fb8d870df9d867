"""`next`: due items first (most overdue, then priority), then today's new topics within the daily limit."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.scheduler.utils import Api


def titles(items: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (
            item["reason"],
            item["item_type"],
            item["angle"]["label"] if item["angle"] else item["topic"]["title"],
        )
        for item in items
    ]


def test_due_first_by_overdue_then_priority_then_new_by_date_and_priority(api: Api) -> None:
    lid = api.learner(timezone="UTC", daily_new_limit=10)
    low = api.topic(lid, "Prioridad baja", priority=5, date_assigned="2026-03-01")["id"]
    high = api.topic(lid, "Prioridad alta", priority=1, date_assigned="2026-03-01")["id"]
    failed = api.topic(lid, "Fallado", priority=3, date_assigned="2026-03-01")["id"]
    later = api.topic(lid, "Revisado después", priority=1, date_assigned="2026-03-01")["id"]
    api.topic(lid, "Nuevo antiguo", priority=4, date_assigned="2026-02-20")
    api.topic(lid, "Nuevo urgente", priority=1, date_assigned="2026-03-02")
    api.topic(lid, "Nuevo normal", priority=3, date_assigned="2026-03-02")
    api.topic(lid, "Asignado hoy", priority=1, date_assigned="2026-03-03")
    api.topic(lid, "Futuro", priority=1, date_assigned="2026-03-04")
    api.topic(lid, "Suspendido", priority=1, date_assigned="2026-03-01", status="suspended")

    api.answer(lid, "topic", low, "good")  # due +1 d
    api.answer(lid, "topic", high, "good")  # due +1 d, same instant, better priority
    api.answer(lid, "topic", failed, "fail")  # due +10 min, opens Sub-nodo B due at once
    api.advance(hours=1)
    api.answer(lid, "topic", later, "good")  # due +1 d 1 h
    api.advance(days=1, hours=2)  # 2026-03-03 11:00 UTC

    items = api.next(lid, limit=20)
    assert titles(items) == [
        ("due", "angle", "Sub-nodo B"),
        ("due", "topic", "Fallado"),
        ("due", "topic", "Prioridad alta"),
        ("due", "topic", "Prioridad baja"),
        ("due", "topic", "Revisado después"),
        ("new", "topic", "Nuevo antiguo"),
        ("new", "topic", "Nuevo urgente"),
        ("new", "topic", "Nuevo normal"),
        ("new", "topic", "Asignado hoy"),
    ]
    assert items[0]["card_kinds"] == ["drill_mcq"]
    assert items[5]["card_kinds"] == ["battlecard", "drill_mcq"]
    assert items[0]["state"]["version"] == 1
    assert items[2]["next_states"]["good"]["interval_minutes"] == 6 * 1440
    assert items[2]["next_states"]["fail"]["interval_minutes"] == 10
    assert set(items[2]["next_states"]) == {"fail", "hard", "good", "easy"}

    assert titles(api.next(lid, limit=2)) == titles(items)[:2]


def test_level_two_topic_asks_for_an_open_drill(api: Api) -> None:
    lid = api.learner(timezone="UTC")
    tid = api.topic(lid, "Anemia ferropénica")["id"]
    api.answer(lid, "topic", tid, "easy")
    api.advance(days=1)
    outcome = api.answer(lid, "topic", tid, "easy")
    assert outcome["state"]["level"] == 2
    api.advance(days=9)
    assert api.next(lid)[0]["card_kinds"] == ["drill_open"]


def test_daily_new_limit_resets_at_the_learners_local_midnight(api: Api) -> None:
    # Mexico City is UTC−6 all year: local midnight of 3 March is 06:00 UTC.
    lid = api.learner(timezone="America/Mexico_City", daily_new_limit=2)
    for i in range(5):
        api.topic(lid, f"Tema {i}", date_assigned="2026-03-01")
    api.now = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 23:00 local, 2 March
    first_day = api.next(lid, limit=10)
    assert [i["topic"]["title"] for i in first_day] == ["Tema 0", "Tema 1"]
    for item in first_day:
        api.answer(lid, "topic", item["item_id"], "good")
    api.now = datetime(2026, 3, 3, 5, 59, tzinfo=UTC)  # 23:59 local: the day's two are used
    assert api.next(lid, limit=10) == []
    stats = api.ok(api.get(f"/learners/{lid}/stats"))
    assert stats["new_available_today"] == 0
    api.now = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 00:00 local, 3 March
    assert [i["topic"]["title"] for i in api.next(lid, limit=10)] == ["Tema 2", "Tema 3"]


def test_date_assigned_is_compared_with_the_learners_today(api: Api) -> None:
    tokyo = api.learner(name="Aiko", timezone="Asia/Tokyo")  # UTC+9
    lima = api.learner(name="Rosa", timezone="America/Lima")  # UTC−5
    for lid in (tokyo, lima):
        api.topic(lid, "Asignado el 3", date_assigned="2026-03-03")
    api.now = datetime(2026, 3, 2, 14, 59, tzinfo=UTC)  # Tokyo 23:59 on the 2nd
    assert api.next(tokyo) == []
    api.now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Tokyo 00:00 on the 3rd; Lima still the 2nd
    assert [i["topic"]["title"] for i in api.next(tokyo)] == ["Asignado el 3"]
    assert api.next(lima) == []
    api.now = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # Lima 00:00 on the 3rd
    assert [i["topic"]["title"] for i in api.next(lima)] == ["Asignado el 3"]


def test_undoing_a_first_review_gives_the_new_topic_slot_back(api: Api) -> None:
    lid = api.learner(timezone="UTC", daily_new_limit=1)
    first = api.topic(lid, "Uno", date_assigned="2026-03-01")["id"]
    api.topic(lid, "Dos", date_assigned="2026-03-01")
    api.answer(lid, "topic", first, "good")
    assert api.next(lid) == []
    api.ok(api.post(f"/learners/{lid}/reviews/undo"))
    assert [i["topic"]["title"] for i in api.next(lid)] == ["Uno"]


def test_limit_is_validated(api: Api) -> None:
    lid = api.learner()
    assert api.get(f"/learners/{lid}/next", params={"limit": 0}).status_code == 422
    assert api.get(f"/learners/{lid}/next", params={"limit": 51}).status_code == 422
