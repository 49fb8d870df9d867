"""Hostile and unusual temario.db files: every one is a clear 4xx or a report, never a 5xx.

Each file is made by the test with sqlite3; every case runs on SQLite and on PostgreSQL.
A refused file stores nothing; a bad value skips its row and says which column and why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimed_contracts.limits import TEMARIO_MAX_BYTES
from tests.scheduler.utils import Api

GOOD_ROW = ("Fibrilación auricular", "Cardiología", "2026-02-01", 2.5, 6, 2, "2026-03-10")


def make_temario(path: Path, rows: list[tuple[Any, ...]], table_sql: str | None = None) -> Path:
    """A topics table (tema, modulo, fecha, ease_factor, interval, repetitions, next_review) with rows."""
    conn = sqlite3.connect(path)
    conn.execute(
        table_sql
        or "CREATE TABLE topics (id INTEGER PRIMARY KEY, tema TEXT, modulo TEXT, fecha TEXT, "
        "ease_factor REAL, interval, repetitions INTEGER, next_review)"
    )
    conn.executemany(
        "INSERT INTO topics (id, tema, modulo, fecha, ease_factor, interval, repetitions, next_review) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [(i, *row) for i, row in enumerate(rows, start=1)],
    )
    conn.commit()
    conn.close()
    return path


def upload(api: Api, learner_id: int, content: bytes, *, dry_run: bool = False) -> Any:
    return api.post(
        f"/learners/{learner_id}/import/temario",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("temario.db", content, "application/octet-stream")},
    )


def topic_count(api: Api, learner_id: int) -> int:
    return int(api.ok(api.get(f"/learners/{learner_id}/topics"))["count"])


BAD_VALUES: dict[str, tuple[tuple[Any, ...], str]] = {
    "next_review_1e20": (("Asma", "Neumología", "2026-02-01", 2.5, 6, 2, 1e20), "next_review"),
    "interval_1e12": (("Asma", "Neumología", "2026-02-01", 2.5, 1e12, 2, "2026-03-10"), "interval"),
    "interval_inf_text": (("Asma", "Neumología", "2026-02-01", 2.5, "inf", 2, "2026-03-10"), "interval"),
    "interval_inf_real": (
        ("Asma", "Neumología", "2026-02-01", 2.5, float("inf"), 2, "2026-03-10"),
        "interval",
    ),
    "fecha_9999": (("Asma", "Neumología", "9999-12-31T23:59:59-05:00", 2.5, 6, 2, None), "fecha"),
    "fecha_year_1": (("Asma", "Neumología", "0001-01-01T00:00:00+05:00", 2.5, 6, 2, None), "fecha"),
    "ease_inf": (("Asma", "Neumología", "2026-02-01", "inf", 6, 2, "2026-03-10"), "ease_factor"),
    "ease_nan_text": (("Asma", "Neumología", "2026-02-01", "NaN", 6, 2, "2026-03-10"), "ease_factor"),
    "ease_huge": (("Asma", "Neumología", "2026-02-01", 1e300, 6, 2, "2026-03-10"), "ease_factor"),
    "repetitions_negative": (("Asma", "Neumología", "2026-02-01", 2.5, 6, -3, "2026-03-10"), "repetitions"),
    "title_blob": ((b"\x00\x01binario", "Neumología", "2026-02-01", 2.5, 6, 2, None), "tema"),
    "next_review_blob": (("Asma", "Neumología", "2026-02-01", 2.5, 6, 2, b"\xff\xfe"), "next_review"),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_an_unusable_value_skips_its_row_and_names_the_column(api: Api, tmp_path: Path, case: str) -> None:
    bad_row, column = BAD_VALUES[case]
    lid = api.learner()
    content = make_temario(tmp_path / "t.db", [GOOD_ROW, bad_row]).read_bytes()
    report = api.ok(upload(api, lid, content))
    assert report["topics_imported"] == 1
    assert [(r["table"], r["row"], r["source_id"], r["column"]) for r in report["rows_skipped"]] == [
        ("topics", 2, 2, column)
    ]
    listing = api.ok(api.get(f"/learners/{lid}/topics"))
    assert [t["title"] for t in listing["data"]] == ["Fibrilación auricular"]
    assert listing["data"][0]["srs"]["ease_factor"] == 2.5


def test_a_file_with_only_bad_rows_reports_each_and_the_topic_list_still_reads(
    api: Api, tmp_path: Path
) -> None:
    lid = api.learner()
    rows = [row for row, _ in BAD_VALUES.values()]
    report = api.ok(upload(api, lid, make_temario(tmp_path / "t.db", rows).read_bytes()))
    assert report["topics_imported"] == 0
    assert len(report["rows_skipped"]) == len(rows)
    assert [r["row"] for r in report["rows_skipped"]] == list(range(1, len(rows) + 1))
    assert api.ok(api.get(f"/learners/{lid}/topics"))["count"] == 0


def without_rowid(path: Path) -> Path:
    return make_temario(
        path,
        [GOOD_ROW, ("Asma", "Neumología", "15/02/2026", None, None, None, None)],
        "CREATE TABLE topics (id INTEGER NOT NULL PRIMARY KEY, tema TEXT, modulo TEXT, fecha TEXT, "
        "ease_factor REAL, interval INTEGER, repetitions INTEGER, next_review TEXT) WITHOUT ROWID",
    )


def as_view(path: Path) -> Path:
    """The topics are a view over a table with an odd name (quotes and spaces)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """CREATE TABLE "datos ""2026"" v2" (n TEXT, m TEXT);
        INSERT INTO "datos ""2026"" v2" VALUES ('Ictus', 'Neurología');
        CREATE VIEW temas AS SELECT n AS tema, m AS modulo FROM "datos ""2026"" v2";"""
    )
    conn.close()
    return path


@pytest.mark.parametrize(
    ("layout", "titles"), [(without_rowid, ["Fibrilación auricular", "Asma"]), (as_view, ["Ictus"])]
)
def test_any_table_layout_sqlite_allows_is_read(
    api: Api, tmp_path: Path, layout: Callable[[Path], Path], titles: list[str]
) -> None:
    lid = api.learner()
    report = api.ok(upload(api, lid, layout(tmp_path / "t.db").read_bytes()))
    assert report["rows_skipped"] == []
    assert sorted(t["title"] for t in report["topics"]) == sorted(titles)
    assert sorted(t["title"] for t in api.ok(api.get(f"/learners/{lid}/topics"))["data"]) == sorted(titles)


def test_text_that_is_not_utf8_is_reported_per_row(api: Api, tmp_path: Path) -> None:
    path = make_temario(
        tmp_path / "t.db", [GOOD_ROW, ("placeholder", "Neumología", None, None, None, None, None)]
    )
    conn = sqlite3.connect(path)
    conn.execute("UPDATE topics SET tema = CAST(X'C3283F' AS TEXT) WHERE id = 2")
    conn.commit()
    conn.close()
    lid = api.learner()
    report = api.ok(upload(api, lid, path.read_bytes()))
    assert report["topics_imported"] == 1
    assert [(r["row"], r["column"]) for r in report["rows_skipped"]] == [(2, "tema")]
    assert "UTF-8" in report["rows_skipped"][0]["reason"]


def no_topics_table(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE lista (tema TEXT); INSERT INTO lista VALUES ('Ictus');")
    conn.close()
    return path.read_bytes()


def corrupt(path: Path) -> bytes:
    make_temario(
        path, [GOOD_ROW] + [(f"Tema {i}", "Módulo", "2026-02-01", 2.5, 1, 1, None) for i in range(2000)]
    )
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 5 * page] = b"\xa5" * (2 * page)
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("not sqlite", lambda p: b"hola, no soy sqlite" * 100),
        ("header only", lambda p: make_temario(p, [GOOD_ROW]).read_bytes()[:100]),
        ("corrupt pages", corrupt),
        ("no topics table", no_topics_table),
    ],
)
def test_an_unreadable_file_is_422_and_stores_nothing(
    api: Api, tmp_path: Path, name: str, content: Callable[[Path], bytes]
) -> None:
    lid = api.learner()
    for dry_run in (True, False):
        response = upload(api, lid, content(tmp_path / f"{name}-{dry_run}.db"), dry_run=dry_run)
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["type"] == "invalid_temario"
        assert error["message"]
    assert topic_count(api, lid) == 0


def test_a_file_over_the_limit_is_413_and_stores_nothing(api: Api, tmp_path: Path) -> None:
    lid = api.learner()
    path = make_temario(tmp_path / "t.db", [GOOD_ROW])
    content = path.read_bytes()
    big = content + b"\0" * (TEMARIO_MAX_BYTES + 1 - len(content))
    response = upload(api, lid, big)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert "50 MiB" in response.json()["error"]["message"]
    assert topic_count(api, lid) == 0


def test_the_dry_run_report_is_the_import_report(api: Api, tmp_path: Path) -> None:
    lid = api.learner()
    rows = [GOOD_ROW, BAD_VALUES["ease_inf"][0], ("Neumonía", "Neumología", "2026-02-03", 1.9, 1, 1, None)]
    content = make_temario(tmp_path / "t.db", rows).read_bytes()
    preview = api.ok(upload(api, lid, content, dry_run=True))
    assert topic_count(api, lid) == 0
    stored = api.ok(upload(api, lid, content))
    assert {**preview, "dry_run": False} == stored
    assert [t["title"] for t in stored["topics"]] == ["Fibrilación auricular", "Neumonía"]
    assert topic_count(api, lid) == 2
