"""Learners, settings, topics CRUD, all-or-nothing imports, contexts and cards."""

from __future__ import annotations

import json

from tests.scheduler.utils import Api


def test_learner_settings_round_trip_and_validation(api: Api) -> None:
    lid = api.learner(settings={"relearn_minutes": 15})
    settings = api.ok(api.get(f"/learners/{lid}/settings"))
    assert settings["relearn_minutes"] == 15
    assert settings["perspectives"][0] == "complicaciones"
    updated = api.ok(
        api.patch(
            f"/learners/{lid}/settings",
            json={"timezone": "America/Bogota", "daily_new_limit": 8, "perspectives": ["fisiopatología"]},
        )
    )
    assert (updated["timezone"], updated["daily_new_limit"], updated["perspectives"]) == (
        "America/Bogota",
        8,
        ["fisiopatología"],
    )
    bad = api.patch(f"/learners/{lid}/settings", json={"easy_bonus": 0.2, "mastery_n": 0})
    assert bad.status_code == 422
    assert "easy_bonus" in bad.json()["error"]["message"] and "mastery_n" in bad.json()["error"]["message"]
    bad_zone = api.patch(f"/learners/{lid}/settings", json={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "Mars/Olympus" in bad_zone.json()["error"]["message"]
    assert api.ok(api.get(f"/learners/{lid}/settings"))["daily_new_limit"] == 8


def test_topic_crud_and_filters(api: Api) -> None:
    lid = api.learner()
    created = api.topic(lid, "  Síndrome coronario agudo ", modulo="Cardiología", priority=1)
    assert created["title"] == "Síndrome coronario agudo"
    assert created["date_assigned"] == "2026-03-02"  # the learner's today
    assert created["srs"] == {
        "level": 1,
        "mastered": False,
        "due_at": None,
        "ease_factor": 2.5,
        "interval_days": 0,
        "repetitions": 0,
        "lapses": 0,
        "version": 1,
    }
    api.topic(lid, "Ictus", modulo="Neurología")
    tid = created["id"]
    patched = api.ok(api.patch(f"/learners/{lid}/topics/{tid}", json={"status": "suspended", "priority": 2}))
    assert (patched["status"], patched["priority"]) == ("suspended", 2)
    listing = api.ok(api.get(f"/learners/{lid}/topics", params={"modulo": "Cardiología"}))
    assert listing["count"] == 1 and listing["data"][0]["id"] == tid
    assert api.ok(api.get(f"/learners/{lid}/topics", params={"status": "active"}))["count"] == 1
    assert api.patch(f"/learners/{lid}/topics/{tid}", json={"priority": 9}).status_code == 422
    assert api.delete(f"/learners/{lid}/topics/{tid}").status_code == 204
    assert api.get(f"/learners/{lid}/topics/{tid}").status_code == 404
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 1


def test_deleting_a_topic_removes_its_angles_cards_states_and_log_in_one_go(api: Api) -> None:
    lid = api.learner()
    keep = api.topic(lid, "Se queda")["id"]
    gone = api.topic(lid, "Se va")["id"]
    api.answer(lid, "topic", keep, "good")
    angle_id = api.answer(lid, "topic", gone, "fail")["angle_created"]["id"]
    api.answer(lid, "angle", angle_id, "good")
    assert api.delete(f"/learners/{lid}/topics/{gone}").status_code == 204
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    assert [t["id"] for t in backup["topics"]] == [keep]
    assert backup["angles"] == []
    assert [s["topic_id"] for s in backup["srs_states"]] == [keep]
    assert [r["topic_id"] for r in backup["reviews"]] == [keep]


def test_foreign_topic_is_404_for_every_verb(api: Api) -> None:
    owner, other = api.learner(name="Ana"), api.learner(name="Luis")
    tid = api.topic(owner, "Tromboembolismo pulmonar")["id"]
    assert api.get(f"/learners/{other}/topics/{tid}").status_code == 404
    assert api.patch(f"/learners/{other}/topics/{tid}", json={"priority": 1}).status_code == 404
    assert api.delete(f"/learners/{other}/topics/{tid}").status_code == 404
    ctx = {"source_label": "GPC", "text": "texto"}
    assert api.post(f"/learners/{other}/topics/{tid}/contexts", json=ctx).status_code == 404
    assert api.get(f"/learners/{owner}/topics/{tid}").status_code == 200


def test_csv_import_with_a_bad_row_stores_nothing_and_lists_every_error(api: Api) -> None:
    lid = api.learner()
    api.topic(lid, "Existente", modulo="Nefrología")
    csv_text = (
        "tema,modulo,prioridad,fecha\n"
        "Insuficiencia renal aguda,Nefrología,alta,2026-03-01\n"
        ",Nefrología,2,2026-03-01\n"
        "Síndrome nefrótico,Nefrología,7,2026-03-01\n"
        "Glomerulonefritis,Nefrología,3,01/03/2026\n"
        "Existente,Nefrología,3,2026-03-01\n"
        "Insuficiencia renal aguda,Nefrología,3,2026-03-02\n"
    )
    response = api.post(
        f"/learners/{lid}/topics/import", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_rows"
    assert "nothing was imported" in error["message"]
    assert sorted((e["row"], e["field"]) for e in error["detail"]) == [
        (3, "title"),
        (4, "priority"),
        (5, "date_assigned"),
        (6, "title"),
        (7, "title"),
    ]
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 1


def test_csv_and_json_imports_store_every_row(api: Api) -> None:
    lid = api.learner()
    csv_text = (
        "title;modulo;priority;date_assigned\nDisnea;Neumología;1;2026-03-01\nTos crónica;Neumología;;\n"
    )
    result = api.ok(
        api.post(
            f"/learners/{lid}/topics/import", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
        ),
        201,
    )
    assert result["created"] == 2
    assert [t["priority"] for t in result["data"]] == [1, 3]
    rows = [{"title": "Hemoptisis", "modulo": "Neumología", "date_assigned": "2026-03-05"}]
    result = api.ok(api.post(f"/learners/{lid}/topics/import", json=rows), 201)
    assert result["data"][0]["date_assigned"] == "2026-03-05"
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 3


def test_json_import_errors_carry_row_numbers(api: Api) -> None:
    lid = api.learner()
    rows = [
        {"title": "Bien", "modulo": "Digestivo"},
        {"title": "Sin módulo"},
        "no soy un objeto",
        {"title": "Campo raro", "modulo": "Digestivo", "color": "rojo"},
    ]
    response = api.post(f"/learners/{lid}/topics/import", json=rows)
    assert response.status_code == 422
    assert sorted((e["row"], e["field"]) for e in response.json()["error"]["detail"]) == [
        (2, "modulo"),
        (3, ""),
        (4, "color"),
    ]
    malformed = api.post(
        f"/learners/{lid}/topics/import", content=b"[{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422 and "line 1" in malformed.json()["error"]["message"]
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 0


def test_contexts_are_deduplicated_by_content_hash(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Cetoacidosis diabética")["id"]
    body = {"source_label": "ADA 2024", "text": "Insulina IV 0,1 UI/kg/h tras corregir el potasio."}
    first = api.post(f"/learners/{lid}/topics/{tid}/contexts", json=body)
    second = api.post(f"/learners/{lid}/topics/{tid}/contexts", json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert len(first.json()["content_hash"]) == 64
    listing = api.ok(api.get(f"/learners/{lid}/topics/{tid}/contexts"))
    assert listing["count"] == 1


def test_cards_store_fetch_and_unreviewed_filter(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Hiperpotasemia")["id"]
    ctx = api.ok(
        api.post(
            f"/learners/{lid}/topics/{tid}/contexts", json={"source_label": "GPC", "text": "K > 6,5 mEq/L"}
        ),
        201,
    )
    card = {
        "topic_id": tid,
        "kind": "drill_mcq",
        "level": 1,
        "payload": {"kind": "drill_mcq", "vignette": "Varón de 70 años…"},
        "markdown": "## Caso",
        "context_ids": [ctx["id"]],
        "model_id": "SmolLM2-135M-Instruct.Q4_1",
        "grounding_report": {"valid": True, "issues": []},
    }
    first = api.ok(api.post(f"/learners/{lid}/cards", json=card), 201)
    second = api.ok(api.post(f"/learners/{lid}/cards", json=card), 201)
    assert api.ok(api.get(f"/learners/{lid}/cards/{first['id']}"))["payload"] == card["payload"]
    unseen = {"item_type": "topic", "item_id": tid, "unreviewed": "true"}
    assert [c["id"] for c in api.ok(api.get(f"/learners/{lid}/cards", params=unseen))["data"]] == [
        first["id"],
        second["id"],
    ]
    review = {
        "item_type": "topic",
        "item_id": tid,
        "card_id": first["id"],
        "grade": "good",
        "idempotency_key": "c1",
        "expected_version": 1,
        "chosen_option": 2,
        "correct": True,
        "duration_ms": 5400,
    }
    api.ok(api.post(f"/learners/{lid}/reviews", json=review))
    assert [c["id"] for c in api.ok(api.get(f"/learners/{lid}/cards", params=unseen))["data"]] == [
        second["id"]
    ]
    bad = api.post(f"/learners/{lid}/cards", json={**card, "context_ids": [987654]})
    assert bad.status_code == 404
    third = api.ok(api.post(f"/learners/{lid}/cards", json=card), 201)
    pages, after = [], None
    while True:
        params = {"limit": 2, **({"after_id": after} if after is not None else {})}
        page = api.ok(api.get(f"/learners/{lid}/cards", params=params))["data"]
        if not page:
            break
        pages.append([c["id"] for c in page])
        after = page[-1]["id"]
    assert pages == [[first["id"], second["id"]], [third["id"]]]
    other = api.learner(name="Otro")
    assert api.get(f"/learners/{other}/cards/{first['id']}").status_code == 404


def test_openapi_lists_the_contract_paths(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/learners/{learner_id}/next",
        "/v1/learners/{learner_id}/reviews",
        "/v1/learners/{learner_id}/reviews/undo",
        "/v1/learners/{learner_id}/topics/import",
        "/v1/learners/{learner_id}/import/temario",
        "/v1/learners/{learner_id}/backup",
        "/v1/learners/{learner_id}/stats",
    ):
        assert path in paths, json.dumps(sorted(paths))
