"""POST /api/v1/import/temario: preview, then import; files made by the test with sqlite3."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from aimed_contracts.limits import TEMARIO_MAX_BYTES
from tests.gateway.services import Learner
from tests.scheduler.test_temario import build_temario
from tests.scheduler.test_temario_hostile import BAD_VALUES, GOOD_ROW, corrupt, make_temario

URL = "/api/v1/import/temario"


def send(gateway: TestClient, learner: Learner, content: bytes, **params: str) -> object:
    return gateway.post(
        URL,
        params=params,
        files={"file": ("temario.db", content, "application/octet-stream")},
        headers=learner.headers,
    )


def titles(gateway: TestClient, learner: Learner) -> list[str]:
    return sorted(t["title"] for t in gateway.get("/api/v1/topics", headers=learner.headers).json()["data"])


def test_preview_then_import(gateway: TestClient, learner: Learner, tmp_path: Path) -> None:
    content = build_temario(tmp_path / "temario.db").read_bytes()
    preview = send(gateway, learner, content, dry_run="true")
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert report["dry_run"] is True
    assert [t["title"] for t in report["topics"]] == [
        "Fibrilación auricular",
        "Insuficiencia cardiaca",
        "Neumonía",
    ]
    assert {(r["table"], r["row"], r["column"]) for r in report["rows_skipped"]} == {
        ("topics", 3, "tema"),
        ("topics", 4, "fecha_asignada"),
        ("topics", 6, "tema"),
        ("angles", 3, "topic_id"),
    }
    assert report["unmapped_columns"] == {"topics": ["notas", "color"], "angles": ["origen"]}
    assert titles(gateway, learner) == []

    imported = send(gateway, learner, content)
    assert imported.status_code == 200, imported.text
    assert {**imported.json(), "dry_run": True} == report
    assert titles(gateway, learner) == ["Fibrilación auricular", "Insuficiencia cardiaca", "Neumonía"]
    angles = gateway.get("/api/v1/angles", headers=learner.headers).json()
    assert angles["count"] == 2


def test_bad_values_are_reported_never_a_5xx(gateway: TestClient, learner: Learner, tmp_path: Path) -> None:
    rows = [GOOD_ROW, *(row for row, _ in BAD_VALUES.values())]
    response = send(gateway, learner, make_temario(tmp_path / "t.db", rows).read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["topics_imported"] == 1
    assert [r["column"] for r in response.json()["rows_skipped"]] == [
        column for _, column in BAD_VALUES.values()
    ]
    listed = gateway.get("/api/v1/topics", headers=learner.headers)
    assert listed.status_code == 200 and listed.json()["count"] == 1


def test_files_that_are_not_a_temario_are_4xx_and_store_nothing(
    gateway: TestClient, learner: Learner, tmp_path: Path
) -> None:
    refused = {
        "text": b"tema,modulo\nAsma,Neumologia\n",
        "empty": b"",
        "corrupt": corrupt(tmp_path / "corrupt.db"),
        "truncated": make_temario(tmp_path / "t.db", [GOOD_ROW]).read_bytes()[:2048],
    }
    for name, content in refused.items():
        for dry_run in ("true", "false"):
            response = send(gateway, learner, content, dry_run=dry_run)
            assert response.status_code == 422, (name, response.text)
            error = response.json()["error"]
            assert error["type"] == "invalid_temario", (name, error)
            assert "SQLite" in error["message"] or "sqlite" in error["message"], error
    not_multipart = gateway.post(URL, content=b"SQLite format 3\x00", headers=learner.headers)
    assert not_multipart.status_code == 422 and "multipart" in not_multipart.json()["error"]["message"]
    wrong_field = gateway.post(URL, files={"archivo": ("t.db", b"x")}, headers=learner.headers)
    assert wrong_field.status_code == 422 and "'file'" in wrong_field.json()["error"]["message"]
    assert titles(gateway, learner) == []


def test_the_size_limit_is_50_mib(gateway: TestClient, learner: Learner, tmp_path: Path) -> None:
    content = make_temario(tmp_path / "t.db", [GOOD_ROW]).read_bytes()
    over = content + b"\0" * (TEMARIO_MAX_BYTES + 1 - len(content))
    response = send(gateway, learner, over, dry_run="true")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "payload_too_large" and "50 MiB" in error["message"]
    assert error["detail"] == {"max_bytes": TEMARIO_MAX_BYTES}
    at_limit = content + b"\0" * (TEMARIO_MAX_BYTES - len(content))
    # Exactly at the limit the file is read (padding after the last page is ignored by SQLite).
    assert send(gateway, learner, at_limit, dry_run="true").status_code == 200
    assert titles(gateway, learner) == []


def test_needs_a_token(gateway: TestClient, tmp_path: Path) -> None:
    content = make_temario(tmp_path / "t.db", [GOOD_ROW]).read_bytes()
    response = gateway.post(URL, files={"file": ("temario.db", content)})
    assert response.status_code == 401
