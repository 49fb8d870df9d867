"""Guideline sections into contexts on real SQLite and PostgreSQL: one transaction."""

from __future__ import annotations

from tests.scheduler.utils import Api


def _counts(api: Api, lid: int) -> tuple[int, int]:
    backup = api.ok(api.get(f"/learners/{lid}/backup"))
    return len(backup["topics"]), len(backup["contexts"])


def test_sections_share_a_new_topic_and_reach_an_existing_one(api: Api) -> None:
    lid = api.learner()
    existing = api.topic(lid, "Sepsis")["id"]
    new_topic = {"title": "Neumonía", "modulo": "Neumología"}
    body = {
        "source_label": "GPC 2024",
        "sections": [
            {"title": "Diagnóstico", "text": "Infiltrado nuevo en la radiografía.", "new_topic": new_topic},
            {
                "title": "Gravedad",
                "text": "CURB-65 de 2: ingreso.",
                "new_topic": {**new_topic, "title": "neumonía"},
            },
            {"title": "Tratamiento", "text": "Amoxicilina 1 g cada 8 horas.", "topic_id": existing},
            {"title": "Repetido", "text": "Amoxicilina 1 g cada 8 horas.", "topic_id": existing},
        ],
    }
    result = api.ok(api.post(f"/learners/{lid}/guideline-sections", json=body), 201)
    assert len(result["topics_created"]) == 1
    assert [c["source_label"] for c in result["contexts"]] == [
        "GPC 2024 · Diagnóstico",
        "GPC 2024 · Gravedad",
        "GPC 2024 · Tratamiento",
    ]
    assert result["already_stored"] == 1
    assert _counts(api, lid) == (2, 3)


def test_one_bad_section_stores_nothing(api: Api) -> None:
    lid = api.learner()
    other = api.learner()
    foreign = api.topic(other, "Ajeno")["id"]
    good = {"title": "Diagnóstico", "text": "Texto.", "new_topic": {"title": "Nuevo", "modulo": "M"}}
    for status, sections in (
        (404, [good, {"title": "X", "text": "Texto.", "topic_id": foreign}]),
        (422, [good, {"title": "X", "text": "Texto."}]),
        (422, [good, {"title": "", "text": "Texto.", "topic_id": foreign}]),
    ):
        response = api.post(
            f"/learners/{lid}/guideline-sections", json={"source_label": "GPC", "sections": sections}
        )
        assert response.status_code == status, response.text
    assert _counts(api, lid) == (0, 0)
