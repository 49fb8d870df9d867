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
PINNED_DIGEST = "7a668656790f871237e123364d02322ad9722405abd3fc3cd2091c6f41ecb327"


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


def test_system_prompt_has_the_no_invention_rules_and_the_kind_rules() -> None:
    mcq_system = build_messages({**VARIANT, "level": 1})[0]["content"]
    open_system = build_messages(VARIANT)[0]["content"]
    battle_system = build_messages({**VARIANT, "task": "battlecard", "angle": None})[0]["content"]
    for system in (mcq_system, open_system, battle_system):
        assert "Usa ÚNICAMENTE la información del Contexto" in system
        assert "copiadas LITERALMENTE del Contexto" in system
        assert "Todo número que escribas" in system
        assert "Responde SOLO con un objeto JSON" in system
    assert '"todas las anteriores"' in mcq_system and '"drill_mcq"' in mcq_system
    assert "el paciente, su edad y sus datos son inventados" in open_system and '"rubric"' in open_system
    assert '"key_points"' in battle_system and '"red_flags"' in battle_system
    assert len({mcq_system, open_system, battle_system}) == 3


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
