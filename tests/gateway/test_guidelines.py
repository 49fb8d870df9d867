"""Guideline PDFs: sections from PDFs drawn by the tests (one and two columns, a table, running
header and footer, accented Spanish), then the public API on a real scheduler process:
preview, import into existing and new topics all or nothing, and every refusal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reportlab.pdfgen.canvas import Canvas

from aimed_contracts.errors import InvalidInput
from aimed_gateway.guideline_pdf import extract_sections
from tests.gateway import guideline_pdfs as pdfs
from tests.gateway.conftest import GatewayFactory
from tests.gateway.services import Learner

TABLE_LINES = [
    "Fármaco | Dosis | Vía",
    "Amoxicilina | 1 g cada 8 h | Oral",
    "Levofloxacino | 500 mg cada 24 h | Oral",
    "Ceftriaxona | 2 g cada 24 h | Intravenosa",
]


def _all_text(sections: list[Any]) -> str:
    return "\n".join(s.text for s in sections)


# ---------------------------------------------------------------- extraction


def test_one_column_sections_follow_the_headings_across_pages() -> None:
    document = extract_sections(pdfs.one_column_pdf(), max_pages=10)
    assert document.pages == 2
    assert [s.title for s in document.sections] == [
        "1. Definición y diagnóstico",
        "2. Valoración de la gravedad",
        "3. Tratamiento empírico",
    ]
    severity = document.sections[1]
    assert (severity.first_page, severity.last_page) == (1, 2)
    # Every paragraph comes back whole, accents included, even the one cut by the page break.
    assert severity.text.split("\n\n") == [pdfs.SEVERITY] * 8
    assert document.sections[0].text.split("\n\n") == [pdfs.INTRO] * 8


def test_running_header_and_footer_are_dropped() -> None:
    document = extract_sections(pdfs.one_column_pdf(), max_pages=10)
    assert document.dropped_lines == [pdfs.HEADER, "Página 1", "Página 2"]
    text = _all_text(document.sections)
    assert pdfs.HEADER not in text
    assert "Página" not in text


def test_a_ruled_table_becomes_one_readable_row_per_line() -> None:
    treatment = extract_sections(pdfs.one_column_pdf(), max_pages=10).sections[2]
    assert treatment.text.split("\n\n") == [pdfs.TREATMENT, "\n".join(TABLE_LINES), pdfs.FOLLOW_UP]


def test_two_columns_are_read_column_by_column() -> None:
    document = extract_sections(pdfs.two_column_pdf(), max_pages=10)
    # The full-width title is a heading with nothing under it before the columns: no section.
    assert [s.title for s in document.sections] == [
        "Diagnóstico clínico",
        "Escala de gravedad",
        "Tratamiento antibiótico",
        "Seguimiento",
    ]
    by_title = {s.title: s.text.split("\n\n") for s in document.sections}
    assert by_title["Diagnóstico clínico"] == [pdfs.INTRO, pdfs.INTRO]
    assert by_title["Escala de gravedad"] == [pdfs.SEVERITY, pdfs.SEVERITY]
    # Page 2: the left column, then the table that opens the right column, then its heading.
    assert by_title["Tratamiento antibiótico"] == [pdfs.TREATMENT, "\n".join(TABLE_LINES)]
    assert by_title["Seguimiento"] == [pdfs.FOLLOW_UP]
    assert document.dropped_lines == [pdfs.HEADER, "Página 1", "Página 2"]


def test_a_scan_without_text_is_refused_with_a_clear_reason() -> None:
    with pytest.raises(InvalidInput) as info:
        extract_sections(pdfs.scanned_pdf(), max_pages=10)
    assert info.value.error_type == "pdf_without_text"
    assert "no text layer" in info.value.message
    assert "OCR" in info.value.message


def test_a_password_protected_pdf_is_refused() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, encrypt="secreto")
    canvas.drawString(72, 720, "Texto cifrado")
    canvas.save()
    with pytest.raises(InvalidInput) as info:
        extract_sections(buffer.getvalue(), max_pages=10)
    assert info.value.error_type == "pdf_encrypted"


@pytest.mark.parametrize("data", [b"no soy un pdf", pdfs.one_column_pdf()[:600]])
def test_not_a_pdf_or_a_damaged_one_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as info:
        extract_sections(data, max_pages=10)
    assert info.value.error_type == "pdf_unreadable"


# ---------------------------------------------------------------- API


def _preview(gateway: TestClient, learner: Learner, data: bytes, name: str = "guia.pdf") -> Any:
    return gateway.post(
        "/api/v1/guidelines/preview",
        files={"file": (name, data, "application/pdf")},
        headers=learner.headers,
    )


def _topics(gateway: TestClient, learner: Learner) -> list[dict[str, Any]]:
    return list(gateway.get("/api/v1/topics", headers=learner.headers).json()["data"])


def _contexts(gateway: TestClient, learner: Learner, topic_id: int) -> list[dict[str, Any]]:
    return list(gateway.get(f"/api/v1/topics/{topic_id}/contexts", headers=learner.headers).json()["data"])


def test_preview_then_import_into_new_and_existing_topics(gateway: TestClient, learner: Learner) -> None:
    existing = learner.add_topic(with_context=False)
    response = _preview(gateway, learner, pdfs.two_column_pdf(), "neumonía.pdf")
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["filename"] == "neumonía.pdf"
    assert preview["pages"] == 2
    sections = preview["sections"]
    assert [s["title"] for s in sections][:2] == ["Diagnóstico clínico", "Escala de gravedad"]
    assert sections[0]["chars"] == len(sections[0]["text"])

    new_topic = {"title": "Neumonía adquirida en la comunidad", "modulo": "Neumología", "priority": 2}
    body = {
        "source_label": "GPC Neumonía 2024",
        "sections": [
            {"title": sections[0]["title"], "text": sections[0]["text"], "new_topic": new_topic},
            {"title": sections[1]["title"], "text": sections[1]["text"], "new_topic": new_topic},
            {"title": sections[2]["title"], "text": sections[2]["text"], "topic_id": existing["id"]},
        ],
    }
    imported = gateway.post("/api/v1/guidelines/import", json=body, headers=learner.headers)
    assert imported.status_code == 201, imported.text
    result = imported.json()
    assert [t["title"] for t in result["topics_created"]] == [new_topic["title"]]
    assert result["already_stored"] == 0
    created_id = result["topics_created"][0]["id"]
    stored = _contexts(gateway, learner, created_id)
    assert [c["source_label"] for c in stored] == [
        "GPC Neumonía 2024 · Diagnóstico clínico",
        "GPC Neumonía 2024 · Escala de gravedad",
    ]
    assert stored[0]["text"] == sections[0]["text"]
    assert "Amoxicilina | 1 g cada 8 h | Oral" in _contexts(gateway, learner, existing["id"])[0]["text"]

    again = gateway.post("/api/v1/guidelines/import", json=body, headers=learner.headers).json()
    # The same sections again: a second new topic, but no text copied twice into one topic.
    assert again["already_stored"] == 1
    assert len(_contexts(gateway, learner, existing["id"])) == 1


def test_import_is_all_or_nothing(gateway: TestClient, learner: Learner, other_learner: Learner) -> None:
    mine = learner.add_topic(with_context=False)
    theirs = other_learner.add_topic(with_context=False)
    before = _topics(gateway, learner)
    section = {"title": "Tratamiento", "text": pdfs.TREATMENT}
    new_topic = {"title": "Tema nuevo", "modulo": "Neumología"}
    bad_bodies = [
        # A valid section first, then another learner's topic: 404, and the first is not kept.
        (404, [{**section, "new_topic": new_topic}, {**section, "topic_id": theirs["id"]}]),
        (422, [{**section, "new_topic": new_topic, "topic_id": mine["id"]}]),
        (422, [{**section}]),
        (422, [{**section, "text": "   ", "topic_id": mine["id"]}]),
        (422, [{**section, "topic_id": mine["id"], "extra": 1}]),
        (422, []),
    ]
    for status, sections in bad_bodies:
        response = gateway.post(
            "/api/v1/guidelines/import",
            json={"source_label": "GPC", "sections": sections},
            headers=learner.headers,
        )
        assert response.status_code == status, (sections, response.text)
        assert response.json()["error"]["message"]
    assert _topics(gateway, learner) == before
    assert _contexts(gateway, learner, mine["id"]) == []


def test_preview_refusals(gateway_factory: GatewayFactory, learner: Learner) -> None:
    gateway = gateway_factory(max_pdf_pages=3, max_pdf_bytes=200_000)
    scanned = _preview(gateway, learner, pdfs.scanned_pdf())
    assert scanned.status_code == 422
    assert scanned.json()["error"]["type"] == "pdf_without_text"
    long = _preview(gateway, learner, pdfs.many_pages_pdf(4))
    assert long.status_code == 422
    assert long.json()["error"]["detail"] == {"pages": 4, "max_pages": 3}
    big = _preview(gateway, learner, b"%PDF-1.4\n" + b"0" * 200_001)
    assert big.status_code == 413
    not_pdf = _preview(gateway, learner, "Guía en texto plano".encode())
    assert not_pdf.json()["error"]["type"] == "pdf_unreadable"
    empty = _preview(gateway, learner, b"")
    assert empty.status_code == 422
    wrong_field = gateway.post(
        "/api/v1/guidelines/preview",
        files={"documento": ("guia.pdf", pdfs.one_column_pdf(), "application/pdf")},
        headers=learner.headers,
    )
    assert wrong_field.status_code == 422
    assert "'file'" in wrong_field.json()["error"]["message"]
    as_json = gateway.post("/api/v1/guidelines/preview", json={"file": "x"}, headers=learner.headers)
    assert as_json.status_code == 422
    anonymous = gateway.post(
        "/api/v1/guidelines/preview", files={"file": ("guia.pdf", pdfs.one_column_pdf(), "application/pdf")}
    )
    assert anonymous.status_code == 401
