"""Import of a learner's existing temario.db, through HTTP and through the CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aimed_scheduler.config import Settings
from tests.scheduler.utils import Api


def build_temario(path: Path) -> Path:
    """A temario.db as a learner keeps it by hand: Spanish column names, mixed formats, some junk."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE topics (
            id INTEGER PRIMARY KEY, tema TEXT, modulo TEXT, prioridad TEXT, fecha_asignada TEXT,
            ease_factor REAL, interval INTEGER, repetitions INTEGER, next_review TEXT, notas TEXT, color TEXT
        );
        CREATE TABLE angles (
            id INTEGER PRIMARY KEY, topic_id INTEGER, perspectiva TEXT, estado TEXT, origen TEXT
        );
        CREATE TABLE sesiones (id INTEGER PRIMARY KEY, fecha TEXT, minutos INTEGER);
        """
    )
    conn.executemany(
        "INSERT INTO topics VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                1,
                "Fibrilación auricular",
                "Cardiología",
                "alta",
                "2026-02-01",
                2.8,
                12,
                4,
                "2026-03-10",
                "",
                "rojo",
            ),
            (
                2,
                "Insuficiencia cardiaca",
                "Cardiología",
                "2",
                "15/02/2026",
                None,
                None,
                None,
                None,
                "repasar",
                None,
            ),
            (3, "", "Cardiología", "1", "2026-02-01", None, None, None, None, None, None),
            (4, "Endocarditis", "Cardiología", "3", "ayer", None, None, None, None, None, None),
            (
                5,
                "Neumonía",
                "Neumología",
                "media",
                "2026-03-01",
                1.9,
                1,
                1,
                "2026-03-01T09:30:00",
                None,
                None,
            ),
            (
                6,
                "Fibrilación auricular",
                "Cardiología",
                "1",
                "2026-02-01",
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ],
    )
    conn.executemany(
        "INSERT INTO angles VALUES (?,?,?,?,?)",
        [
            (1, 1, "complicaciones", "activo", "manual"),
            (2, 1, "tratamiento de segunda línea", "dominado", "manual"),
            (3, 4, "fisiopatología", "activo", "manual"),
        ],
    )
    conn.commit()
    conn.close()
    return path


def check_report(report: dict, dry_run: bool) -> None:
    assert report["dry_run"] is dry_run
    assert report["tables"] == ["angles", "sesiones", "topics"]
    assert report["mapped_columns"]["topics"] == {
        "tema": "title",
        "modulo": "modulo",
        "prioridad": "priority",
        "fecha_asignada": "date_assigned",
        "ease_factor": "ease_factor",
        "interval": "interval",
        "repetitions": "repetitions",
        "next_review": "next_review",
    }
    assert report["unmapped_columns"] == {"topics": ["notas", "color"], "angles": ["origen"]}
    assert report["topics_imported"] == 3
    assert report["angles_imported"] == 2
    skipped = {(r["table"], r["row"]): (r["column"], r["reason"]) for r in report["rows_skipped"]}
    assert set(skipped) == {("topics", 3), ("topics", 4), ("topics", 6), ("angles", 3)}
    assert skipped[("topics", 3)] == ("tema", "tema está vacío")
    assert skipped[("topics", 4)][0] == "fecha_asignada" and "ayer" in skipped[("topics", 4)][1]
    assert "ya existe en el módulo" in skipped[("topics", 6)][1]
    assert skipped[("angles", 3)][0] == "topic_id" and "no es un tema importado" in skipped[("angles", 3)][1]
    assert [t["title"] for t in report["topics"]] == [
        "Fibrilación auricular",
        "Insuficiencia cardiaca",
        "Neumonía",
    ]
    assert any("sesiones" in note for note in report["notes"])


def test_http_dry_run_writes_nothing_then_import_keeps_srs_state(api: Api, tmp_path: Path) -> None:
    lid = api.learner(timezone="Europe/Madrid")
    path = build_temario(tmp_path / "temario.db")

    def upload(dry_run: bool) -> dict:
        with path.open("rb") as handle:
            response = api.post(
                f"/learners/{lid}/import/temario",
                params={"dry_run": str(dry_run).lower()},
                files={"file": ("temario.db", handle, "application/octet-stream")},
            )
        return dict(api.ok(response))

    check_report(upload(dry_run=True), dry_run=True)
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 0

    check_report(upload(dry_run=False), dry_run=False)
    topics = {t["title"]: t for t in api.ok(api.get(f"/learners/{lid}/topics"))["data"]}
    assert set(topics) == {"Fibrilación auricular", "Insuficiencia cardiaca", "Neumonía"}
    fa = topics["Fibrilación auricular"]
    assert (fa["priority"], fa["date_assigned"], fa["angle_count"]) == (1, "2026-02-01", 2)
    assert fa["srs"] == {
        "level": 2,  # EF 2.8 > 2.6 and 12 d > 7 d
        "mastered": False,
        "due_at": "2026-03-09T23:00:00Z",  # local midnight in Madrid
        "ease_factor": 2.8,
        "interval_days": 12,
        "repetitions": 4,
        "lapses": 0,
        "version": 1,
    }
    assert topics["Insuficiencia cardiaca"]["date_assigned"] == "2026-02-15"
    assert topics["Insuficiencia cardiaca"]["srs"]["due_at"] is None  # still new
    assert topics["Neumonía"]["srs"]["due_at"] == "2026-03-01T08:30:00Z"  # naive time read in Madrid
    angles = api.ok(api.get(f"/learners/{lid}/angles"))["data"]
    assert [(a["label"], a["perspective"], a["status"]) for a in angles] == [
        ("Sub-nodo B", "complicaciones", "active"),
        ("Sub-nodo C", "tratamiento de segunda línea", "mastered"),
    ]
    # The imported state is a real state: the study loop continues from it.
    due = api.next(lid)
    assert [(i["item_type"], i["topic"]["title"]) for i in due if i["reason"] == "due"] == [
        ("topic", "Neumonía"),  # overdue since 1 March
        ("angle", "Fibrilación auricular"),  # its active Sub-nodo B, due since the import
    ]


def test_http_rejects_a_file_that_is_not_sqlite(api: Api) -> None:
    lid = api.learner()
    response = api.post(
        f"/learners/{lid}/import/temario",
        files={"file": ("temario.db", b"hola, no soy sqlite", "text/plain")},
    )
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_temario"


@pytest.mark.slow
def test_cli_migrate_and_import_temario(settings: Settings, api: Api, tmp_path: Path) -> None:
    lid = api.learner()
    path = build_temario(tmp_path / "temario.db")
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    env.pop("AIMED_SCHEDULER_DATABASE_URL", None)
    cli = [sys.executable, "-m", "aimed_scheduler.cli"]

    migrate = subprocess.run([*cli, "migrate"], env=env, capture_output=True, text=True, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert "database at head" in migrate.stdout

    dry = subprocess.run(
        [*cli, "import-temario", str(path), "--learner", str(lid), "--dry-run"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    check_report(json.loads(dry.stdout), dry_run=True)
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 0

    real = subprocess.run(
        [*cli, "import-temario", str(path), "--learner", str(lid)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert real.returncode == 0, real.stderr
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 3

    unknown = subprocess.run(
        [*cli, "import-temario", str(path), "--learner", "987654"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert unknown.returncode == 1 and "Learner 987654 does not exist" in unknown.stderr
