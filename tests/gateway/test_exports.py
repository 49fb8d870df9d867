"""Anki export (.apkg opened as zip + SQLite) and the JSON backup round trip."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from aimed_gateway.tokens import TokenStore
from tests.gateway.services import Learner, grade_card


def _anki_notes(apkg: bytes, folder: Path) -> tuple[list[tuple[str, str, str]], list[int]]:
    with zipfile.ZipFile(io.BytesIO(apkg)) as archive:
        assert "collection.anki2" in archive.namelist()
        (folder / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(folder / "collection.anki2") as db:
        notes = db.execute("SELECT guid, flds, tags FROM notes ORDER BY guid").fetchall()
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    return notes, sorted(int(d) for d in decks)


def test_anki_export_has_every_card_with_stable_ids(
    gateway: TestClient, learner: Learner, tmp_path: Path
) -> None:
    topic = learner.add_topic()
    for kind in ("battlecard", "drill_mcq", "drill_open"):
        learner.store_card(topic, kind)
    xss = dict(topic["gold"]["cards"]["drill_mcq"])
    xss["vignette"] = "Paciente <img src=x onerror=alert(1)> con <script>alert(2)</script> poliuria."
    learner.store_card(topic, "drill_mcq", payload=xss)
    first = gateway.get("/api/v1/export/anki", headers=learner.headers)
    assert first.status_code == 200
    assert first.headers["content-disposition"].endswith('.apkg"')
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    notes, decks = _anki_notes(first.content, tmp_path / "a")
    assert len(notes) == 4
    fields = [flds.split("\x1f") for _, flds, _ in notes]
    assert all(len(f) == 3 for f in fields)
    assert any(
        "<h2>Pregunta</h2>" in front and "<h2>Respuesta correcta</h2>" in back for front, back, _ in fields
    )
    assert all("endocrinología" in tags for _, _, tags in notes)
    joined = "".join(f[0] + f[1] for f in fields)
    assert "<script>" not in joined
    assert "<img" not in joined
    assert "&lt;script&gt;" in joined
    second = gateway.get("/api/v1/export/anki", headers=learner.headers)
    notes_again, decks_again = _anki_notes(second.content, tmp_path / "b")
    assert [n[0] for n in notes_again] == [n[0] for n in notes]
    assert decks_again == decks


def _without_ids(value: Any) -> Any:
    """The backup without ids and foreign keys: what must survive a restore unchanged."""
    if isinstance(value, dict):
        return {
            k: _without_ids(v)
            for k, v in value.items()
            if not (k == "id" or k.endswith("_id") or k.endswith("_ids") or k == "exported_at")
        }
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def test_backup_round_trip_into_a_new_learner(
    gateway: TestClient, learner: Learner, scheduler_url: str, tokens: TokenStore
) -> None:
    topic = learner.add_topic()
    learner.store_card(topic, "battlecard")
    drill = learner.store_card(topic, "drill_mcq")
    review = grade_card(gateway, learner, drill, chosen_option=1, answer="Glibenclamida")
    assert review.status_code == 200, review.text
    exported = gateway.get("/api/v1/export/backup", headers=learner.headers)
    assert exported.status_code == 200
    document = exported.json()
    assert document["format"] == "aimed-backup"
    restored_into = Learner(scheduler_url, tokens, "restaurada")
    restored = gateway.post("/api/v1/import/backup", content=exported.content, headers=restored_into.headers)
    assert restored.status_code == 200, restored.text
    assert restored.json()["learner_id"] == restored_into.id
    again = gateway.get("/api/v1/export/backup", headers=restored_into.headers).json()
    # The learner row itself is the target's (its own name and creation time); the rest must match.
    for backup in (again, document):
        backup["data"]["learner"].pop("name")
        backup["data"]["learner"].pop("created_at")
    assert document["data"]["topics"] and document["data"]["reviews"] and document["data"]["angles"]
    assert _without_ids(again["data"]) == _without_ids(document["data"])
    # A second restore into a learner that now has data is refused and changes nothing.
    twice = gateway.post("/api/v1/import/backup", content=exported.content, headers=restored_into.headers)
    assert twice.status_code in (409, 422)
    after = gateway.get("/api/v1/export/backup", headers=restored_into.headers).json()
    assert after["data"]["topics"] == again["data"]["topics"]
    assert after["data"]["reviews"] == again["data"]["reviews"]


def test_backup_import_refuses_what_is_not_a_backup(gateway: TestClient, learner: Learner) -> None:
    h = learner.headers
    not_json = gateway.post("/api/v1/import/backup", content=b"{oops", headers=h)
    assert not_json.status_code == 422
    assert "not valid JSON" in not_json.json()["error"]["message"]
    foreign = gateway.post("/api/v1/import/backup", json={"topics": []}, headers=h)
    assert foreign.status_code == 422
    assert "not an AI-Med backup" in foreign.json()["error"]["message"]
    future = gateway.post(
        "/api/v1/import/backup", json={"format": "aimed-backup", "format_version": 9}, headers=h
    )
    assert future.status_code == 422
    assert gateway.get("/api/v1/topics", headers=h).json()["count"] == 0
