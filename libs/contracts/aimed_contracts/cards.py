"""The card contract: the JSON a model must produce and every service and tool exchanges.

Field names are fixed (datasets and tools depend on them). The models check shape and
structural coherence (indices in range, one rationale per option, level matching the
kind); content rules (grounding, item-writing quality) belong to `grounding`.

`card_json_schema(kind)` is the contract's schema; the generator narrows a copy of it
per request for llama-server's `response_format`. It stays inside what llama.cpp's
json-schema-to-grammar converter supports (refs inlined, `const` for fixed values,
small `maxItems`, no `uniqueItems`); string `maxLength` is left to the generator, which
knows how long a generated field may reasonably be.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1
MAX_SOURCES = 8
MAX_OPTIONS = 5

CardKind = Literal["battlecard", "drill_mcq", "drill_open"]
CARD_KINDS: tuple[CardKind, ...] = ("battlecard", "drill_mcq", "drill_open")
# A drill's level fixes its kind: level 1 is answered by choosing, level 2 by writing.
DRILL_KIND_BY_LEVEL: dict[int, CardKind] = {1: "drill_mcq", 2: "drill_open"}

StructureCode = Literal[
    "level_kind_mismatch",
    "answer_index_out_of_range",
    "rationale_count_mismatch",
    "source_index_out_of_range",
]

Text = Annotated[str, StringConstraints(min_length=1)]
SourceIndex = Annotated[int, Field(ge=0, le=MAX_SOURCES - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyPoint(_Strict):
    text: Text
    source: SourceIndex = Field(description="Índice (desde 0) de la frase de `sources` que lo respalda.")


class RubricItem(_Strict):
    item: Text
    source: SourceIndex = Field(description="Índice (desde 0) de la frase de `sources` que lo respalda.")


class _CardBase(_Strict):
    schema_version: Literal[1]
    kind: CardKind
    topic: Text
    level: Literal[1, 2]
    angle: str | None = Field(description="Perspectiva del sub-nodo, o null.")
    sources: list[Text] = Field(
        min_length=1,
        max_length=MAX_SOURCES,
        description="Frases copiadas literalmente del contexto.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> _CardBase:
        problems = structure_problems(self.model_dump())
        if problems:
            raise PydanticCustomError(
                "card_incoherent",
                "{detail}",
                {"detail": "; ".join(f"{field}: {message}" for _code, field, message in problems)},
            )
        return self


class BattleCard(_CardBase):
    kind: Literal["battlecard"]
    summary: Text
    key_points: list[KeyPoint] = Field(min_length=3, max_length=8)
    red_flags: list[Text] = Field(min_length=0, max_length=5)


class DrillMCQ(_CardBase):
    kind: Literal["drill_mcq"]
    vignette: Text
    question: Text
    options: list[Text] = Field(min_length=4, max_length=MAX_OPTIONS)
    answer_index: int = Field(ge=0, le=MAX_OPTIONS - 1)
    explanation: Text
    option_rationales: list[Text] = Field(min_length=4, max_length=MAX_OPTIONS)


class DrillOpen(_CardBase):
    kind: Literal["drill_open"]
    vignette: Text
    question: Text
    model_answer: Text
    rubric: list[RubricItem] = Field(min_length=2, max_length=8)


Card = Annotated[BattleCard | DrillMCQ | DrillOpen, Field(discriminator="kind")]
CARD_MODELS: dict[CardKind, type[_CardBase]] = {
    "battlecard": BattleCard,
    "drill_mcq": DrillMCQ,
    "drill_open": DrillOpen,
}
_CARD_ADAPTER: TypeAdapter[BattleCard | DrillMCQ | DrillOpen] = TypeAdapter(Card)


def parse_card(data: Mapping[str, Any] | str | bytes) -> BattleCard | DrillMCQ | DrillOpen:
    """Validate a dict (or a JSON document) into the card of its `kind`.

    Raises pydantic.ValidationError listing every problem with its location.
    """
    if isinstance(data, str | bytes):
        return _CARD_ADAPTER.validate_json(data)
    return _CARD_ADAPTER.validate_python(data)


def structure_problems(data: Mapping[str, Any]) -> list[tuple[StructureCode, str, str]]:
    """Cross-field rules as `(code, field, message)`; tolerant of a malformed dict.

    Shared by the models (which refuse such a card) and by the grounding gate (which
    reports every one of them, even when other fields are broken too).
    """
    problems: list[tuple[StructureCode, str, str]] = []
    kind = data.get("kind")
    level = data.get("level")
    if kind in ("drill_mcq", "drill_open") and level in (1, 2) and DRILL_KIND_BY_LEVEL[level] != kind:
        expected = 1 if kind == "drill_mcq" else 2
        problems.append(
            (
                "level_kind_mismatch",
                "level",
                f"a {kind} card is level {expected}, got level {level}",
            )
        )
    sources = data.get("sources")
    n_sources = len(sources) if isinstance(sources, list) else None
    for list_field, key in (("key_points", "source"), ("rubric", "source")):
        entries = data.get(list_field)
        if n_sources is None or not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            index = entry.get(key) if isinstance(entry, Mapping) else None
            if isinstance(index, int) and not isinstance(index, bool) and not 0 <= index < n_sources:
                problems.append(
                    (
                        "source_index_out_of_range",
                        f"{list_field}[{i}].{key}",
                        f"points at source {index} but the card has {n_sources} sources (0–{n_sources - 1})",
                    )
                )
    if kind == "drill_mcq":
        options = data.get("options")
        if isinstance(options, list):
            answer = data.get("answer_index")
            if isinstance(answer, int) and not isinstance(answer, bool) and not 0 <= answer < len(options):
                problems.append(
                    (
                        "answer_index_out_of_range",
                        "answer_index",
                        f"answer_index {answer} but there are {len(options)} options (0–{len(options) - 1})",
                    )
                )
            rationales = data.get("option_rationales")
            if isinstance(rationales, list) and len(rationales) != len(options):
                problems.append(
                    (
                        "rationale_count_mismatch",
                        "option_rationales",
                        f"{len(rationales)} rationales for {len(options)} options; write one per option",
                    )
                )
    return problems


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _kind_schema(kind: CardKind) -> dict[str, Any]:
    raw = CARD_MODELS[kind].model_json_schema()
    schema: dict[str, Any] = _inline_refs(raw, raw.get("$defs", {}))
    properties = schema["properties"]
    properties["kind"] = {"const": kind, "type": "string"}
    properties["schema_version"] = {"const": SCHEMA_VERSION, "type": "integer"}
    if kind != "battlecard":
        level = 1 if kind == "drill_mcq" else 2
        properties["level"] = {"const": level, "type": "integer"}
    # Every field is required, so the grammar makes the model write each one in this
    # order: the sources come before the claims that point at them.
    schema["required"] = list(properties)
    return schema


def card_json_schema(kind: CardKind | None = None) -> dict[str, Any]:
    """JSON Schema of one card kind (for structured output), or of any card (`None`)."""
    if kind is not None:
        if kind not in CARD_MODELS:
            raise ValueError(f"unknown card kind {kind!r}; expected one of {', '.join(CARD_KINDS)}")
        return copy.deepcopy(_kind_schema(kind))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "AI-Med Learning card",
        "description": (
            "A BattleCard, a level-1 MCQ drill or a level-2 open drill; `kind` says which. "
            "Generated from aimed_contracts.cards: python -m aimed_contracts.schema"
        ),
        "oneOf": [_kind_schema(k) for k in CARD_KINDS],
    }
