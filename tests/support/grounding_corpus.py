"""Loader of the labeled grounding corpus (bench/grounding_corpus/*.json).

One JSON file per guideline context holds faithful cards and cards with one planted fault
of a named type; bench/grounding_corpus/README.md describes the format. The loader checks
the file format only and raises ValueError naming the file and the case on any problem;
whether each card parses with the card contract is asserted by the corpus contract test,
and the gate's accuracy on the corpus is measured elsewhere, never here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aimed_contracts.cards import CARD_KINDS

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "bench" / "grounding_corpus"

# Faults that add or change a fact token (a number, a unit, a term, a source string).
HARD_FACT_FAULTS: tuple[str, ...] = (
    "dose_changed",
    "threshold_changed",
    "unit_changed",
    "term_not_in_context",
    "source_altered",
)
# Faults that change meaning with tokens the context already has.
MEANING_FAULTS: tuple[str, ...] = (
    "negation_flipped",
    "same_unit_value_swapped",
    "wrong_key",
    "claim_unsupported_by_cited_source",
)
FAULT_TYPES: tuple[str, ...] = HARD_FACT_FAULTS + MEANING_FAULTS

Label = Literal["faithful", "fault"]

_CONTEXT_KEYS = {"id", "specialty", "topic", "features", "context", "cases"}
_FAITHFUL_KEYS = {"id", "label", "kind", "card"}
_FAULT_KEYS = _FAITHFUL_KEYS | {"fault_type", "derived_from", "fault"}
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FEATURE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class CorpusCase:
    """One labeled card: faithful, or a copy of a faithful card with one planted fault."""

    id: str
    label: Label
    kind: str
    fault_type: str | None
    derived_from: str | None
    fault: str | None
    card: Mapping[str, Any]


@dataclass(frozen=True)
class CorpusContext:
    """One guideline excerpt, the topic the model was given, and its labeled cards."""

    id: str
    specialty: str
    topic: str
    features: tuple[str, ...]
    context: str
    cases: tuple[CorpusCase, ...]

    @property
    def faithful(self) -> tuple[CorpusCase, ...]:
        return tuple(case for case in self.cases if case.label == "faithful")

    @property
    def faults(self) -> tuple[CorpusCase, ...]:
        return tuple(case for case in self.cases if case.label == "fault")

    def case(self, case_id: str) -> CorpusCase:
        return next(case for case in self.cases if case.id == case_id)


def load_corpus(root: Path | None = None) -> list[CorpusContext]:
    """Every context of the corpus, sorted by id; ValueError names the file and case at fault."""
    folder = root if root is not None else DEFAULT_ROOT
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ValueError(f"{folder}: no corpus files (*.json)")
    contexts: list[CorpusContext] = []
    seen: dict[str, str] = {}
    for path in files:
        context = _load_context(path)
        for case_id in (context.id, *(case.id for case in context.cases)):
            if case_id in seen:
                raise ValueError(f"{path.name}: id {case_id!r} is already used in {seen[case_id]}")
            seen[case_id] = path.name
        contexts.append(context)
    return contexts


def _load_context(path: Path) -> CorpusContext:
    where = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: not a UTF-8 JSON document ({exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: the document must be a JSON object")
    _expect_keys(raw, _CONTEXT_KEYS, where)
    context_id = _text(raw, "id", where)
    if not _ID.fullmatch(context_id) or context_id != path.stem:
        raise ValueError(
            f"{where}: id {context_id!r} must be lowercase ascii words joined by '-' and equal the file name"
        )
    topic = _text(raw, "topic", where)
    features = raw["features"]
    if (
        not isinstance(features, list)
        or not features
        or not all(isinstance(f, str) and _FEATURE.fullmatch(f) for f in features)
        or len(set(features)) != len(features)
    ):
        raise ValueError(f"{where}: features must be a non-empty list of distinct snake_case names")
    cases_raw = raw["cases"]
    if not isinstance(cases_raw, list) or not cases_raw:
        raise ValueError(f"{where}: cases must be a non-empty list")
    cases = tuple(_load_case(item, i, context_id, topic, where) for i, item in enumerate(cases_raw))
    faithful = {case.id for case in cases if case.label == "faithful"}
    for case in cases:
        if case.label == "fault" and case.derived_from not in faithful:
            raise ValueError(
                f"{where}: case {case.id}: derived_from {case.derived_from!r} "
                "is not a faithful case of this file"
            )
    return CorpusContext(
        id=context_id,
        specialty=_text(raw, "specialty", where),
        topic=topic,
        features=tuple(features),
        context=_text(raw, "context", where),
        cases=cases,
    )


def _load_case(item: Any, index: int, context_id: str, topic: str, where: str) -> CorpusCase:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: cases[{index}] must be an object")
    case_id = item.get("id")
    at = f"{where}: case {case_id if isinstance(case_id, str) else f'cases[{index}]'}"
    label = item.get("label")
    if label not in ("faithful", "fault"):
        raise ValueError(f"{at}: label must be 'faithful' or 'fault', got {label!r}")
    _expect_keys(item, _FAITHFUL_KEYS if label == "faithful" else _FAULT_KEYS, at)
    case_id = _text(item, "id", at)
    if not case_id.startswith(f"{context_id}-") or not _ID.fullmatch(case_id):
        raise ValueError(
            f"{at}: id must start with '{context_id}-' and be lowercase ascii words joined by '-'"
        )
    kind = item["kind"]
    if kind not in CARD_KINDS:
        raise ValueError(f"{at}: kind must be one of {', '.join(CARD_KINDS)}, got {kind!r}")
    card = item["card"]
    if not isinstance(card, dict):
        raise ValueError(f"{at}: card must be an object")
    if card.get("kind") != kind:
        raise ValueError(f"{at}: card.kind {card.get('kind')!r} differs from the case kind {kind!r}")
    if card.get("topic") != topic:
        raise ValueError(f"{at}: card.topic {card.get('topic')!r} differs from the file's topic {topic!r}")
    fault_type = derived_from = fault = None
    if label == "fault":
        fault_type = item["fault_type"]
        if fault_type not in FAULT_TYPES:
            raise ValueError(f"{at}: fault_type must be one of {', '.join(FAULT_TYPES)}, got {fault_type!r}")
        derived_from = _text(item, "derived_from", at)
        fault = _text(item, "fault", at)
    # The fields in their declared order: the names say which is which.
    return CorpusCase(case_id, label, kind, fault_type, derived_from, fault, card)


def _expect_keys(data: Mapping[str, Any], expected: set[str], where: str) -> None:
    missing = expected - data.keys()
    extra = data.keys() - expected
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(sorted(missing))}")
        if extra:
            parts.append(f"unexpected {', '.join(sorted(extra))}")
        raise ValueError(f"{where}: {'; '.join(parts)}")


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key} must be a non-empty string")
    return value
