"""Topics CRUD, syllabus import (JSON, CSV, multipart) and its errors, contexts, settings, angles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.gateway.services import Learner


def test_topic_crud(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    created = gateway.post(
        "/api/v1/topics",
        json={
            "title": "Hipotiroidismo",
            "modulo": "endocrinología",
            "priority": 2,
            "date_assigned": "2026-12-01",
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    topic = created.json()
    assert topic["title"] == "Hipotiroidismo"
    assert topic["srs"]["level"] == 1
    assert topic["angle_count"] == 0
    assert gateway.get(f"/api/v1/topics/{topic['id']}", headers=h).json()["date_assigned"] == "2026-12-01"
    patched = gateway.patch(
        f"/api/v1/topics/{topic['id']}", json={"priority": 4, "status": "suspended"}, headers=h
    )
    assert patched.status_code == 200
    assert (patched.json()["priority"], patched.json()["status"]) == (4, "suspended")
    listed = gateway.get("/api/v1/topics", params={"status": "suspended"}, headers=h).json()
    assert [t["id"] for t in listed["data"]] == [topic["id"]]
    assert gateway.delete(f"/api/v1/topics/{topic['id']}", headers=h).status_code == 204
    assert gateway.get(f"/api/v1/topics/{topic['id']}", headers=h).status_code == 404


def test_topic_create_validates(gateway: TestClient, learner: Learner) -> None:
    response = gateway.post(
        "/api/v1/topics", json={"title": "", "modulo": "x", "priority": 9}, headers=learner.headers
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "title" in message
    assert "priority" in message


def test_import_json_and_csv(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    rows = [
        {"title": "Cetoacidosis diabética", "modulo": "endocrinología", "priority": 1},
        {"title": "Hipoglucemia", "modulo": "endocrinología", "priority": 2, "date_assigned": "2026-12-02"},
    ]
    imported = gateway.post("/api/v1/topics/import", json=rows, headers=h)
    assert imported.status_code in (200, 201), imported.text
    assert imported.json()["created"] == 2
    csv_text = "title,modulo,priority,date_assigned\nAsma,neumología,1,2026-12-03\nEPOC,neumología,2,\n"
    from_csv = gateway.post(
        "/api/v1/topics/import", content=csv_text.encode(), headers={**h, "Content-Type": "text/csv"}
    )
    assert from_csv.status_code in (200, 201), from_csv.text
    assert [t["title"] for t in from_csv.json()["data"]] == ["Asma", "EPOC"]
    upload = gateway.post(
        "/api/v1/topics/import",
        files={"file": ("temario.csv", b"title,modulo\nNeumonia,neumologia\n", "text/csv")},
        headers=h,
    )
    assert upload.status_code in (200, 201), upload.text
    assert gateway.get("/api/v1/topics", headers=h).json()["count"] == 5


def test_import_errors_store_nothing(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    bad = "title,modulo,priority\nAsma,neumología,1\n,neumología,7\n"
    response = gateway.post(
        "/api/v1/topics/import", content=bad.encode(), headers={**h, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_rows"
    assert {d["field"] for d in error["detail"]} >= {"title", "priority"}
    assert {d["row"] for d in error["detail"]} == {3}  # the line in the file, header = 1
    unsupported = gateway.post(
        "/api/v1/topics/import", content=b"<xml/>", headers={**h, "Content-Type": "application/xml"}
    )
    assert unsupported.status_code == 422
    assert "not supported" in unsupported.json()["error"]["message"]
    empty = gateway.post("/api/v1/topics/import", content=b"  ", headers={**h, "Content-Type": "text/csv"})
    assert empty.status_code == 422
    no_file = gateway.post("/api/v1/topics/import", files={"other": ("a.csv", b"x")}, headers=h)
    assert no_file.status_code == 422
    assert gateway.get("/api/v1/topics", headers=h).json()["count"] == 0


def test_contexts_as_json_text_and_markdown(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    topic = learner.add_topic(with_context=False)
    path = f"/api/v1/topics/{topic['id']}/contexts"
    as_json = gateway.post(
        path, json={"source_label": "Guía ADA", "text": "La metformina es de primera línea."}, headers=h
    )
    assert as_json.status_code == 201, as_json.text
    markdown = "## Diagnóstico\n\n- HbA1c ≥6,5 %\n"
    as_markdown = gateway.post(
        path,
        content=markdown.encode(),
        params={"source_label": "Apuntes"},
        headers={**h, "Content-Type": "text/markdown"},
    )
    assert as_markdown.status_code == 201, as_markdown.text
    assert as_markdown.json()["text"] == markdown
    plain = gateway.post(path, content=b"Texto plano.", headers={**h, "Content-Type": "text/plain"})
    assert plain.json()["source_label"] == "Texto pegado"
    listed = gateway.get(path, headers=h).json()
    assert [c["source_label"] for c in listed["data"]] == ["Guía ADA", "Apuntes", "Texto pegado"]
    empty = gateway.post(path, content=b"   ", headers={**h, "Content-Type": "text/plain"})
    assert empty.status_code == 422
    not_utf8 = gateway.post(path, content=b"\xff\xfe", headers={**h, "Content-Type": "text/plain"})
    assert not_utf8.status_code == 422
    invalid = gateway.post(path, json={"text": ""}, headers=h)
    assert invalid.status_code == 422
    assert "text" in invalid.json()["error"]["message"]
    assert gateway.get(path, headers=h).json()["count"] == 3


def test_settings_read_and_update(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    settings = gateway.get("/api/v1/settings", headers=h).json()
    assert settings["relearn_minutes"] == 10
    assert settings["daily_new_limit"] == 5
    updated = gateway.patch("/api/v1/settings", json={"daily_new_limit": 8, "relearn_minutes": 15}, headers=h)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["daily_new_limit"], updated.json()["relearn_minutes"]) == (8, 15)
    unknown = gateway.patch("/api/v1/settings", json={"colour": "red"}, headers=h)
    assert unknown.status_code == 422
    assert gateway.get("/api/v1/settings", headers=h).json()["relearn_minutes"] == 15


def test_stats_shape(gateway: TestClient, learner: Learner) -> None:
    learner.add_topic()
    stats = gateway.get("/api/v1/stats", params={"days": 7}, headers=learner.headers)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert len(body["forecast"]) >= 7
    assert body["by_modulo"][0]["total"] == 1
    assert body["reviews_total"] == 0
    assert body["cards_ready"] == 0


def test_stats_count_every_ready_drill_not_one_page(gateway: TestClient, learner: Learner) -> None:
    # The gateway used to count one page of 500 unreviewed cards; the scheduler counts them all.
    topic = learner.add_topic()
    learner.store_card(topic, "battlecard")
    for _ in range(501):
        learner.store_card(topic, "drill_mcq")
    body = gateway.get("/api/v1/stats", headers=learner.headers).json()
    assert body["cards_ready"] == 501
