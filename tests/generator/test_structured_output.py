"""The schema sent as `response_format` keeps an MCQ's options and rationales the same length."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from aimed_contracts.cards import card_json_schema
from aimed_contracts.examples import EXAMPLE_DRILL_MCQ
from aimed_generator.generation import MCQ_GENERATED_OPTIONS, structured_output_schema


def _mcq(options: int, rationales: int) -> dict:
    card = copy.deepcopy(
        EXAMPLE_DRILL_MCQ if isinstance(EXAMPLE_DRILL_MCQ, dict) else EXAMPLE_DRILL_MCQ.model_dump()
    )
    card["options"] = [f"Opción {i}" for i in range(options)]
    card["option_rationales"] = [f"Motivo {i}" for i in range(rationales)]
    card["answer_index"] = 0
    return card


def test_mcq_counts_are_tied_in_the_generation_schema_only() -> None:
    schema = structured_output_schema("drill_mcq")
    jsonschema.validate(_mcq(MCQ_GENERATED_OPTIONS, MCQ_GENERATED_OPTIONS), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_mcq(5, 4), schema)
    # The contract itself still allows 4–5 options, each count checked on its own.
    jsonschema.validate(_mcq(5, 4), card_json_schema("drill_mcq"))


@pytest.mark.parametrize("kind", ["battlecard", "drill_open"])
def test_other_kinds_use_the_contract_schema_unchanged(kind: str) -> None:
    assert structured_output_schema(kind) == card_json_schema(kind)  # type: ignore[arg-type]
