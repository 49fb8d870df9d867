"""THE prompt builder: deterministic, complete, and the same for training and inference."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from pydantic import ValidationError

from aimed_contracts.examples import EXAMPLE_CONTEXT
from aimed_contracts.prompts import GenerationTask, build_messages, card_kind_for

VARIANT: dict[str, Any] = {
    "task": "variant",
    "topic": "Cetoacidosis diabética",
    "contexts": [
        EXAMPLE_CONTEXT,
        {"label": "Guía de urgencias, apartado 4", "text": "El edema cerebral es la complicación más grave."},
    ],
    "level": 2,
    "angle": {
        "perspective": "complicaciones",
        "failed_question": "¿Qué ritmo de perfusión de insulina se usa al inicio?",
    },
}
# sha256 of json.dumps(build_messages(VARIANT), ensure_ascii=False).
PINNED_DIGEST = "e2133bbfac5a26d794a1d257a12883108dff4d683bcb713a345324d0d3161a8e"


def test_same_task_gives_byte_identical_messages_from_a_dict_or_a_model() -> None:
    first = build_messages(VARIANT)
    again = build_messages(json.loads(json.dumps(VARIANT)))
    from_model = build_messages(GenerationTask.model_validate(VARIANT))
    assert first == again == from_model
    assert [m["role"] for m in first] == ["system", "user"]


def test_the_prompt_text_is_pinned() -> None:
    # Training and inference must see the same bytes: changing the prompt means retraining.
    # Update this digest only together with a deliberate prompt change.
    digest = hashlib.sha256(json.dumps(build_messages(VARIANT), ensure_ascii=False).encode()).hexdigest()
    assert digest == PINNED_DIGEST


def test_user_message_carries_topic_numbered_contexts_task_level_and_angle() -> None:
    user = build_messages(VARIANT)[1]["content"]
    assert "### Tema\nCetoacidosis diabética" in user
    assert f"### Contexto\n[1]\n{EXAMPLE_CONTEXT}\n\n[2] Guía de urgencias, apartado 4\n" in user
    assert "Tipo de tarjeta: drill_open." in user
    assert "### Nivel\n2" in user
    assert "### Perspectiva\ncomplicaciones" in user
    assert "¿Qué ritmo de perfusión de insulina se usa al inicio?" in user
    assert "no la repitas" in user


def test_without_an_angle_the_prompt_asks_for_a_null_angle() -> None:
    user = build_messages({**VARIANT, "task": "drill", "angle": None})[1]["content"]
    assert 'Ninguna ("angle": null).' in user
    assert "falló" not in user


def test_one_system_message_for_every_kind_and_the_kind_named_last() -> None:
    mcq = build_messages({**VARIANT, "level": 1})
    open_ = build_messages(VARIANT)
    battle = build_messages({**VARIANT, "task": "battlecard", "angle": None})
    systems = {m[0]["content"] for m in (mcq, open_, battle)}
    assert len(systems) == 1, "one system message for every kind"
    system = systems.pop()
    assert "Usa ÚNICAMENTE la información del Contexto" in system
    assert "copiadas LITERALMENTE" in system
    assert "todo número" in system and "unidad del Contexto" in system
    assert "Respeta las negaciones" in system
    assert "Responde SOLO con un objeto JSON" in system
    assert '"todas las anteriores"' in system and '"kind": "drill_mcq"' in system
    assert "el paciente, su edad y sus datos son inventados" in system and '"rubric"' in system
    assert '"key_points"' in system and '"red_flags"' in system
    for messages, kind in ((mcq, "drill_mcq"), (open_, "drill_open"), (battle, "battlecard")):
        assert messages[1]["content"].rstrip().endswith("Responde solo con el JSON de la tarjeta.")
        assert f"Tipo de tarjeta: {kind}." in messages[1]["content"]


def test_the_rules_ask_for_facts_not_for_the_contexts_exact_words() -> None:
    system = build_messages(VARIANT)[0]["content"]
    # The gate accepts paraphrase and spelled-out abbreviations; the prompt must not forbid them.
    assert "sinónimos" not in system
    assert "puedes parafrasear" in system and "abreviaturas del Contexto" in system
    assert "consigna en imperativo" in system


def _common_prefix(texts: list[str]) -> str:
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def test_every_card_of_a_topic_shares_the_rules_and_the_context_as_prefix() -> None:
    """Context first, task last: a server's prompt cache can reuse the whole context."""
    tasks = [
        {**VARIANT, "task": "battlecard", "angle": None, "level": 1},
        {**VARIANT, "task": "drill", "angle": None, "level": 1},
        {**VARIANT, "task": "drill", "angle": None, "level": 2},
        VARIANT,
        {**VARIANT, "level": 1, "angle": {"perspective": "diagnóstico"}},
    ]
    rendered = [json.dumps(build_messages(t), ensure_ascii=False) for t in tasks]
    prefix = _common_prefix(rendered)
    context_end = rendered[0].index("El edema cerebral es la complicación más grave.")
    assert len(prefix) > context_end, "the whole context lies inside the shared prefix"
    assert prefix.endswith("\\n\\n### Tarea\\n"), prefix[-40:]
    for text in rendered:
        user_tail = text[len(prefix) :]
        assert "Tipo de tarjeta" in user_tail and "### Nivel" in user_tail and "### Perspectiva" in user_tail
    assert "¿Qué ritmo de perfusión" in rendered[3][len(prefix) :]


@pytest.mark.parametrize(
    ("task", "level", "kind"),
    [
        ("battlecard", 1, "battlecard"),
        ("battlecard", 2, "battlecard"),
        ("drill", 1, "drill_mcq"),
        ("drill", 2, "drill_open"),
        ("variant", 1, "drill_mcq"),
        ("variant", 2, "drill_open"),
    ],
)
def test_card_kind_for(task: str, level: int, kind: str) -> None:
    assert card_kind_for(task, level) == kind  # type: ignore[arg-type]


def test_card_kind_for_refuses_unknown_tasks_and_levels() -> None:
    with pytest.raises(ValueError, match="unknown task 'quiz'"):
        card_kind_for("quiz", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level must be 1 or 2"):
        card_kind_for("drill", 3)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"angle": None}, "task 'variant' needs an angle"),
        ({"contexts": []}, "at least 1 item"),
        ({"contexts": ["   "]}, "at least 1 character"),
        ({"topic": ""}, "at least 1 character"),
        ({"level": 3}, "Input should be 1 or 2"),
    ],
)
def test_bad_tasks_are_refused_with_a_clear_error(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        build_messages({**VARIANT, **change})
