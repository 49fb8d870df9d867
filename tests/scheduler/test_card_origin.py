"""A card says who wrote it: the model (the default) or a person (the demo's example cards)."""

from __future__ import annotations

from typing import Any

from tests.scheduler.utils import Api


def _card(topic_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "topic_id": topic_id,
        "kind": "battlecard",
        "level": 1,
        "payload": {"summary": "Resumen"},
        "markdown": "# BattleCard",
        "model_id": "demo.gguf",
        **extra,
    }


def test_origin_defaults_to_the_model_and_an_example_is_stored_as_one(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Sepsis")["id"]
    by_model = api.ok(api.post(f"/learners/{lid}/cards", json=_card(tid)), 201)
    example = api.ok(
        api.post(f"/learners/{lid}/cards", json=_card(tid, origin="example", model_id="hand-written")), 201
    )
    assert by_model["origin"] == "model"
    assert example["origin"] == "example"
    listed = api.ok(api.get(f"/learners/{lid}/cards"))["data"]
    assert [c["origin"] for c in listed] == ["model", "example"]


def test_an_unknown_origin_is_422_and_stores_nothing(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Sepsis")["id"]
    response = api.post(f"/learners/{lid}/cards", json=_card(tid, origin="teacher"))
    assert response.status_code == 422
    assert "origin" in response.text
    assert api.ok(api.get(f"/learners/{lid}/cards"))["count"] == 0


def test_a_backup_keeps_the_origin_and_restores_it(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Sepsis")["id"]
    api.ok(api.post(f"/learners/{lid}/cards", json=_card(tid, origin="example")), 201)
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    assert [c["origin"] for c in backup["cards"]] == ["example"]
    other = api.learner(name="Copia")
    api.ok(api.post(f"/learners/{other}/backup", json=backup))
    assert [c["origin"] for c in api.ok(api.get(f"/learners/{other}/cards"))["data"]] == ["example"]
