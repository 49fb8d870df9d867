"""Anki export (read back through Anki's own library) and the JSON backup round trip."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from aimed_contracts.cards import parse_card
from aimed_contracts.markdown import render_markdown
from aimed_gateway.tokens import TokenStore
from aimed_scheduler.models import Card
from tests.gateway.conftest import GatewayFactory
from tests.gateway.services import Learner, gold_topic, grade_card
from tests.support.process import ServiceProcess


def _anki_notes(apkg: bytes, folder: Path) -> tuple[list[tuple[str, str, str]], list[int]]:
    with zipfile.ZipFile(io.BytesIO(apkg)) as archive:
        assert "collection.anki2" in archive.namelist()
        (folder / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(folder / "collection.anki2") as db:
        notes = db.execute("SELECT guid, flds, tags FROM notes ORDER BY guid").fetchall()
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    return notes, sorted(int(d) for d in decks)


@dataclass
class AnkiNote:
    guid: str
    deck: str
    tags: list[str]
    front: str
    back: str
    topic: str


def _import_into_anki(apkg: bytes, folder: Path) -> list[AnkiNote]:
    """Imports the package into a fresh collection with Anki's own library, as Anki's File > Import does."""
    folder.mkdir(exist_ok=True)
    package = folder / "export.apkg"
    package.write_bytes(apkg)
    collection = Collection(str(folder / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        collection.import_anki_package(request)
        notes = []
        for note_id in collection.find_notes(""):
            note = collection.get_note(note_id)
            deck = collection.decks.name(collection.get_card(note.card_ids()[0]).did)
            notes.append(AnkiNote(note.guid, deck, list(note.tags), *note.fields))
        return notes
    finally:
        collection.close()


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


GATE_REFUSAL = {
    "valid": False,
    "issues": [
        {
            "code": "number_not_in_context",
            "field": "explanation",
            "message": "the number <500 mg> is not in the context",
        }
    ],
}


def test_flagged_cards_are_left_out_unless_asked_then_marked(
    gateway: TestClient, learner: Learner, tmp_path: Path
) -> None:
    topic = learner.add_topic()
    checked = learner.store_card(topic, "battlecard")
    flagged = learner.store_card(topic, "drill_mcq", grounding_report=GATE_REFUSAL)
    spooled_before = set(Path(tempfile.gettempdir()).glob("aimed-anki-*"))
    default = gateway.get("/api/v1/export/anki", headers=learner.headers)
    assert default.status_code == 200
    assert int(default.headers["content-length"]) == len(default.content)
    # The spooled package is gone once streamed.
    assert set(Path(tempfile.gettempdir()).glob("aimed-anki-*")) <= spooled_before
    assert (default.headers["x-aimed-notes"], default.headers["x-aimed-flagged-left-out"]) == ("1", "1")
    notes = _import_into_anki(default.content, tmp_path / "default")
    assert len(notes) == 1 and "no_verificada" not in notes[0].tags
    everything = gateway.get(
        "/api/v1/export/anki", params={"include_flagged": "true"}, headers=learner.headers
    )
    notes = {n.guid: n for n in _import_into_anki(everything.content, tmp_path / "all")}
    assert len(notes) == 2
    marked = [n for n in notes.values() if "no_verificada" in n.tags]
    assert len(marked) == 1
    assert "No verificada" in marked[0].back
    assert "explanation: the number &lt;500 mg&gt; is not in the context" in marked[0].back
    assert checked["id"] != flagged["id"]


def test_a_flagged_card_explains_itself_in_spanish_when_the_gate_did(
    gateway: TestClient, learner: Learner, tmp_path: Path
) -> None:
    topic = learner.add_topic()
    spanish = {
        "valid": False,
        "issues": [
            {
                **GATE_REFUSAL["issues"][0],
                "message_es": "La cifra «500 mg» no aparece en la guía.",
            }
        ],
    }
    learner.store_card(topic, "drill_mcq", grounding_report=spanish)
    exported = gateway.get("/api/v1/export/anki", params={"include_flagged": "true"}, headers=learner.headers)
    (note,) = _import_into_anki(exported.content, tmp_path / "es")
    assert "La cifra «500 mg» no aparece en la guía." in note.back
    assert "is not in the context" not in note.back


def test_deck_and_tag_names_are_escaped(gateway: TestClient, learner: Learner, tmp_path: Path) -> None:
    hostile = {
        'Cardio "x" <b>y</b>': ("AI-Med::Cardio 'x' ‹b›y‹/b›", "Cardio_x_b_y_b"),
        "Digestivo::Hígado": ("AI-Med::Digestivo:Hígado", "Digestivo_Hígado"),
        "Dos  espacios\u00a0y más": ("AI-Med::Dos espacios y más", "Dos_espacios_y_más"),
        "a & b": ("AI-Med::a & b", "a_b"),
    }
    for modulo in hostile:
        learner.store_card(learner.add_topic(modulo=modulo), "battlecard")
    response = gateway.get("/api/v1/export/anki", headers=learner.headers)
    notes = _import_into_anki(response.content, tmp_path / "anki")
    assert sorted((n.deck, sorted(n.tags)) for n in notes) == sorted(
        (deck, sorted([tag, "battlecard"])) for deck, tag in hostile.values()
    )


TOTAL_CARDS = 20_000
TOTAL_TOPICS = 1_200
FLAGGED_EVERY = 49  # coprime with the topic count: every topic keeps checked cards


@pytest.fixture(scope="module")
def bulk_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A scheduler of its own whose SQLite file the test fills directly (20,000 cards in one insert)."""
    database = tmp_path_factory.mktemp("bulk-scheduler") / "aimed.db"
    service = ServiceProcess(
        "aimed_scheduler.main:create_app", {"AIMED_SCHEDULER_DATABASE_URL": f"sqlite:///{database}"}
    ).start()
    yield service.url, database
    service.stop()


def _insert_cards(database: Path, learner_id: int, topic_ids: list[int]) -> int:
    """Stores TOTAL_CARDS gold drills round-robin over the topics; every FLAGGED_EVERY-th was refused."""
    payload = gold_topic(0)["cards"]["drill_mcq"]
    markdown = render_markdown(parse_card(payload))
    now = datetime.now(UTC)
    rows = [
        {
            "learner_id": learner_id,
            "topic_id": topic_ids[index % len(topic_ids)],
            "angle_id": None,
            "kind": "drill_mcq",
            "level": 1,
            "model_id": "bulk-test",
            "markdown": markdown,
            "payload": payload,
            "context_ids": [],
            "grounding_report": GATE_REFUSAL if index % FLAGGED_EVERY == 0 else {"valid": True, "issues": []},
            "created_at": now,
        }
        for index in range(TOTAL_CARDS)
    ]
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(insert(Card.__table__), rows)  # type: ignore[attr-defined]
    engine.dispose()
    return sum(1 for row in rows if row["grounding_report"] is GATE_REFUSAL)


def test_anki_export_pages_through_every_topic_and_card(
    bulk_scheduler: tuple[str, Path], gateway_factory: GatewayFactory, tokens: TokenStore, tmp_path: Path
) -> None:
    url, database = bulk_scheduler
    gateway = gateway_factory(scheduler_url=url)
    learner = Learner(url, tokens, "muchas")
    syllabus = [{"title": f"Tema {i:04d}", "modulo": f"Módulo {i % 7}"} for i in range(TOTAL_TOPICS)]
    imported = gateway.post("/api/v1/topics/import", json=syllabus, headers=learner.headers)
    assert imported.status_code == 200, imported.text
    topic_ids = [topic["id"] for topic in imported.json()["data"]]
    flagged = _insert_cards(database, learner.id, topic_ids)

    response = gateway.get("/api/v1/export/anki", headers=learner.headers)
    assert response.status_code == 200
    assert response.headers["x-aimed-notes"] == str(TOTAL_CARDS - flagged)
    assert response.headers["x-aimed-flagged-left-out"] == str(flagged)
    notes = _import_into_anki(response.content, tmp_path / "default")
    assert len(notes) == len({n.guid for n in notes}) == TOTAL_CARDS - flagged
    assert len({n.topic for n in notes}) == TOTAL_TOPICS
    assert {n.deck for n in notes} == {f"AI-Med::Módulo {i}" for i in range(7)}
    assert not any("no_verificada" in n.tags for n in notes)


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
    _, _, drill = learner.add_topic_with_first_cards()
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
