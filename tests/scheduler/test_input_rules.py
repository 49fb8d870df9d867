"""Input rules on the scheduler API: blank names, ids beyond the id columns, numbers as dates.

Each case is a 422 that stores nothing, on SQLite and on PostgreSQL; rows stored before a
rule existed still read.
"""

from __future__ import annotations

import math

import pytest
from alembic import command
from sqlalchemy import text

from aimed_contracts.fields import MAX_ROW_ID
from aimed_scheduler.config import Settings
from aimed_scheduler.db import alembic_config, make_engine, migrate
from tests.scheduler.utils import Api

BLANKS = ["", " ", "\u00a0", " \u2003\t"]
TOO_BIG = MAX_ROW_ID + 1
BEYOND_INT64 = 2**63


def _write_behind_the_api(settings: Settings, statement: str, **values: object) -> None:
    """Changes stored rows directly, as rows written before a rule existed would be."""
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text(statement), values)
    engine.dispose()


@pytest.mark.parametrize("field", ["modulo", "title"])
def test_a_blank_name_in_an_update_is_refused_and_not_stored(api: Api, field: str) -> None:
    lid = api.learner()
    topic = api.topic(lid, "Ictus", modulo="Neurología")
    for blank in BLANKS:
        response = api.patch(f"/learners/{lid}/topics/{topic['id']}", json={field: blank})
        assert response.status_code == 422, (blank, response.text)
        assert response.json()["error"]["type"] == "invalid_input"
        assert field in response.json()["error"]["message"]
    stored = api.ok(api.get(f"/learners/{lid}/topics/{topic['id']}"))
    assert (stored["title"], stored["modulo"]) == ("Ictus", "Neurología")
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 1
    trimmed = api.ok(api.patch(f"/learners/{lid}/topics/{topic['id']}", json={field: "\u00a0 Otro "}))
    assert trimmed[field] == "Otro"


def test_a_blank_name_stored_before_the_rule_still_reads_and_can_be_fixed(
    api: Api, settings: Settings
) -> None:
    lid = api.learner()
    topic = api.topic(lid, "Ictus", modulo="Neurología")
    _write_behind_the_api(settings, "UPDATE topics SET modulo = :m WHERE id = :i", m="\u00a0", i=topic["id"])
    listing = api.ok(api.get(f"/learners/{lid}/topics"))
    assert [t["modulo"] for t in listing["data"]] == ["\u00a0"]
    assert api.ok(api.get(f"/learners/{lid}/topics/{topic['id']}"))["modulo"] == "\u00a0"
    fixed = api.ok(api.patch(f"/learners/{lid}/topics/{topic['id']}", json={"modulo": "Neurología"}))
    assert fixed["modulo"] == "Neurología"


@pytest.mark.parametrize("too_big", [TOO_BIG, BEYOND_INT64])
def test_ids_and_offsets_beyond_the_id_columns_are_422(api: Api, too_big: int) -> None:
    lid = api.learner()
    topic = api.topic(lid, "Ictus")
    tid = topic["id"]
    gets = [
        f"/learners/{too_big}",
        f"/learners/{too_big}/topics",
        f"/learners/{lid}/topics/{too_big}",
        f"/learners/{lid}/topics/{too_big}/contexts",
        f"/learners/{lid}/topics?offset={too_big}",
        f"/learners/{lid}/angles?topic_id={too_big}",
        f"/learners/{lid}/angles/{too_big}",
        f"/learners/{lid}/cards/{too_big}",
        f"/learners/{lid}/cards?after_id={too_big}",
        f"/learners/{lid}/cards?item_type=topic&item_id={too_big}",
        f"/learners/{lid}/reviews/{too_big}",
    ]
    for path in gets:
        response = api.get(path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["type"] == "invalid_input"
    assert api.get(f"/learners/{lid}/topics/0").status_code == 422
    assert api.patch(f"/learners/{lid}/topics/{too_big}", json={"priority": 2}).status_code == 422
    assert api.delete(f"/learners/{lid}/topics/{too_big}").status_code == 422
    review = {
        "item_type": "topic",
        "item_id": tid,
        "card_id": too_big,
        "grade": "good",
        "idempotency_key": f"k-{too_big}",
        "expected_version": 1,
    }
    assert api.post(f"/learners/{lid}/reviews", json=review).status_code == 422
    assert (
        api.post(f"/learners/{lid}/reviews", json={**review, "card_id": None, "item_id": too_big}).status_code
        == 422
    )
    too_new = api.post(
        f"/learners/{lid}/reviews", json={**review, "card_id": None, "expected_version": too_big}
    )
    assert too_new.status_code == 422
    card = {"topic_id": too_big, "kind": "battlecard", "level": 1, "model_id": "m", "payload": {}}
    assert api.post(f"/learners/{lid}/cards", json=card).status_code == 422
    assert (
        api.post(
            f"/learners/{lid}/cards", json={**card, "topic_id": tid, "context_ids": [too_big]}
        ).status_code
        == 422
    )
    # Nothing was stored and the largest valid id is an ordinary 404.
    assert api.ok(api.get(f"/learners/{lid}/topics/{tid}"))["srs"]["version"] == 1
    assert api.ok(api.get(f"/learners/{lid}/cards"))["count"] == 0
    assert api.get(f"/learners/{lid}/topics/{MAX_ROW_ID}").status_code == 404
    assert api.ok(api.get(f"/learners/{lid}/topics", params={"offset": MAX_ROW_ID}))["data"] == []
    schema = api.client.get("/openapi.json").json()
    topic_id = next(
        p
        for p in schema["paths"]["/v1/learners/{learner_id}/topics/{topic_id}"]["get"]["parameters"]
        if p["name"] == "topic_id"
    )
    assert topic_id["schema"]["maximum"] == MAX_ROW_ID and topic_id["schema"]["minimum"] == 1


@pytest.mark.parametrize("value", [0, 1700000000, "0", "1700000000", True, 2.5])
def test_a_number_is_not_a_date(api: Api, value: object) -> None:
    lid = api.learner()
    created = api.post(
        f"/learners/{lid}/topics", json={"title": "Ictus", "modulo": "N", "date_assigned": value}
    )
    assert created.status_code == 422, created.text
    assert "date_assigned" in created.json()["error"]["message"]
    imported = api.post(
        f"/learners/{lid}/topics/import", json=[{"title": "Ictus", "modulo": "N", "date_assigned": value}]
    )
    assert imported.status_code == 422, imported.text
    topic = api.topic(lid, "Asma", modulo="Neumología", date_assigned="2026-04-01")
    patched = api.patch(f"/learners/{lid}/topics/{topic['id']}", json={"date_assigned": value})
    assert patched.status_code == 422, patched.text
    assert api.ok(api.get(f"/learners/{lid}/topics/{topic['id']}"))["date_assigned"] == "2026-04-01"
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 1


def test_an_infinite_ease_stored_before_the_checks_is_repaired_by_migration_0005(
    api: Api, settings: Settings
) -> None:
    lid = api.learner()
    topic = api.topic(lid, "Ictus", modulo="Neurología")
    _write_behind_the_api(
        settings, "UPDATE srs_states SET ease_factor = :e, interval_minutes = 8640", e=math.inf
    )
    assert api.ok(api.get(f"/learners/{lid}/topics"))["data"][0]["srs"]["ease_factor"] is None
    # Back to before 0005, then up to head, as an existing installation upgrading.
    engine = make_engine(settings.database_url)
    command.downgrade(alembic_config(engine), "0004")
    migrate(engine)
    engine.dispose()
    srs = api.ok(api.get(f"/learners/{lid}/topics/{topic['id']}"))["srs"]
    assert (srs["ease_factor"], srs["interval_days"]) == (2.5, 6)
