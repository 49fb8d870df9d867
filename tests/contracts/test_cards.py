"""The card models and the JSON Schema handed to llama-server and published in docs/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from aimed_contracts.cards import (
    CARD_KINDS,
    BattleCard,
    DrillMCQ,
    DrillOpen,
    card_json_schema,
    parse_card,
)
from aimed_contracts.examples import EXAMPLE_CARDS, EXAMPLE_DRILL_MCQ
from aimed_contracts.schema import schema_document

REPO = Path(__file__).resolve().parents[2]
MODEL_BY_KIND = {"battlecard": BattleCard, "drill_mcq": DrillMCQ, "drill_open": DrillOpen}


@pytest.mark.parametrize("kind", CARD_KINDS)
def test_each_kind_round_trips_through_dict_and_json(kind: str) -> None:
    data = EXAMPLE_CARDS[kind]
    card = parse_card(data)
    assert type(card) is MODEL_BY_KIND[kind]
    assert card.model_dump() == data
    assert parse_card(card.model_dump_json()) == card
    assert json.loads(card.model_dump_json()) == data


def test_a_missing_field_and_an_unknown_field_are_refused_with_their_location() -> None:
    data: dict[str, Any] = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    del data["explanation"]
    data["hint"] = "extra"
    with pytest.raises(ValidationError) as caught:
        parse_card(data)
    locations = {error["loc"] for error in caught.value.errors()}
    assert locations == {("drill_mcq", "explanation"), ("drill_mcq", "hint")}


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="battlecard"):
        parse_card({**EXAMPLE_DRILL_MCQ, "kind": "quiz"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"answer_index": 4}, "answer_index 4 but there are 4 options"),
        ({"option_rationales": ["a", "b", "c", "d", "e"]}, "5 rationales for 4 options"),
        ({"level": 2}, "a drill_mcq card is level 1"),
    ],
)
def test_the_models_refuse_structurally_incoherent_cards(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        parse_card({**EXAMPLE_DRILL_MCQ, **change})


def test_a_key_point_pointing_past_the_sources_is_refused() -> None:
    data = copy.deepcopy(EXAMPLE_CARDS["battlecard"])
    data["key_points"][0]["source"] = len(data["sources"])
    with pytest.raises(ValidationError, match=r"key_points\[0\]\.source"):
        parse_card(data)


@pytest.mark.parametrize("kind", CARD_KINDS)
def test_the_kind_schema_accepts_the_example_and_refuses_broken_cards(kind: str) -> None:
    schema = card_json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(EXAMPLE_CARDS[kind])
    other_kind = next(k for k in CARD_KINDS if k != kind)
    assert not validator.is_valid(EXAMPLE_CARDS[other_kind])
    assert not validator.is_valid({**EXAMPLE_CARDS[kind], "sources": []})
    assert not validator.is_valid({**EXAMPLE_CARDS[kind], "schema_version": 2})


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for value in node.values() for n in _walk(value))]
    if isinstance(node, list):
        return [n for item in node for n in _walk(item)]
    return []


@pytest.mark.parametrize("kind", [*CARD_KINDS, None])
def test_the_schema_stays_inside_what_llama_cpp_converts(kind: str | None) -> None:
    nodes = _walk(card_json_schema(kind))  # type: ignore[arg-type]
    keys = {key for node in nodes for key in node}
    assert not keys & {"$ref", "$defs", "uniqueItems", "maxLength", "format", "discriminator", "pattern"}
    assert max(node["maxItems"] for node in nodes if "maxItems" in node) <= 8
    for node in nodes:
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])


def test_kind_and_level_are_fixed_by_the_kind_schema() -> None:
    mcq = card_json_schema("drill_mcq")["properties"]
    assert mcq["kind"] == {"const": "drill_mcq", "type": "string"}
    assert mcq["level"] == {"const": 1, "type": "integer"}
    assert mcq["schema_version"] == {"const": 1, "type": "integer"}
    assert card_json_schema("drill_open")["properties"]["level"]["const"] == 2
    assert card_json_schema("battlecard")["properties"]["level"]["enum"] == [1, 2]


def test_the_union_schema_validates_every_example_and_only_cards() -> None:
    validator = jsonschema.Draft202012Validator(card_json_schema(None))
    for card in EXAMPLE_CARDS.values():
        validator.validate(card)
    assert not validator.is_valid({**EXAMPLE_DRILL_MCQ, "kind": "battlecard"})


def test_the_committed_schema_file_is_current() -> None:
    committed = (REPO / "docs" / "card.schema.json").read_text(encoding="utf-8")
    assert committed == schema_document(), (
        "regenerate: python -m aimed_contracts.schema > docs/card.schema.json"
    )


def test_an_unknown_kind_has_no_schema() -> None:
    with pytest.raises(ValueError, match="unknown card kind 'quiz'"):
        card_json_schema("quiz")  # type: ignore[arg-type]
