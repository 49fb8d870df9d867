"""The labeled grounding corpus (issue 9) has the shape the gate is measured on.

Checks the corpus files only: their size, their labels, that every card is a valid card,
that faithful cards quote their context verbatim and that each fault card really differs
from the faithful card it was made from. It never runs the grounding gate: the gate's
acceptance and catch rates on this corpus are a benchmark, not a contract.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aimed_contracts.cards import CARD_KINDS, parse_card
from tests.support.grounding_corpus import (
    FAULT_TYPES,
    HARD_FACT_FAULTS,
    MEANING_FAULTS,
    CorpusCase,
    CorpusContext,
    load_corpus,
)

CORPUS = load_corpus()
CASES: list[tuple[CorpusContext, CorpusCase]] = [(ctx, case) for ctx in CORPUS for case in ctx.cases]
FAITHFUL = [(ctx, case) for ctx, case in CASES if case.label == "faithful"]
FAULTS = [(ctx, case) for ctx, case in CASES if case.label == "fault"]

# What issue 9 asks the contexts to contain, as the feature names the files use.
REQUIRED_FEATURES = {
    "range",
    "abbrev_defined",
    "abbrev_undefined",
    "decimal_comma",
    "decimal_point",
    "odd_unit_spacing",
    "glued_citation",
    "flattened_table",
    "bullets",
}
# How a feature shows in the text, for the features a pattern can recognise.
FEATURE_PATTERNS = {
    "decimal_comma": r"(?<![\w,%)])\d+,\d+(?![\d,])",
    "decimal_point": r"(?<![\w.])\d+\.\d{1,2}(?![\d.])",
    "glued_citation": r"(?:[a-záéíóúñ]{3,}|[%)])\d{1,3}(?:[,–-]\d{1,3})*(?!\w)",
    "flattened_table": r"\|[^|\n]*\|",
    "bullets": r"(?m)^[ \t]*[•·▪◦*-][ \t]+\S",
    "abbrev_defined": r"\((?:[^()]*\s)?[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\)",
    "range": r"\d\s*[–-]\s*\d|\bde\s+\d+\s+a\s+\d+|\bentre\s+(?:el\s+|la\s+)?\d+\S*\s+y\s+(?:el\s+|la\s+)?\d",
    # a unit glued to its number ("100mg", "≥ 65años") or spaces around a unit's slash ("mEq /L")
    "odd_unit_spacing": (
        r"\d(?:mg|g|mL|kg|años|µg|mcg|UI|mmol|mEq|mmHg|L)\b"  # glued
        r"|\w\s+/\s*[a-zA-Zµ]|\w/\s+[a-zA-Zµ]"  # spaced slash
    ),
}


def _ids(cases: list[tuple[CorpusContext, CorpusCase]]) -> list[str]:
    return [case.id for _ctx, case in cases]


def test_corpus_has_the_size_issue_9_asks() -> None:
    assert len(CORPUS) >= 15
    assert len(FAITHFUL) >= 60
    assert len(FAULTS) >= 40


def test_faithful_cards_cover_every_kind() -> None:
    kinds = Counter(case.kind for _ctx, case in FAITHFUL)
    assert set(kinds) == set(CARD_KINDS), kinds


def test_fault_types_split_into_hard_facts_and_meaning() -> None:
    assert len(FAULT_TYPES) == 9
    assert set(HARD_FACT_FAULTS).isdisjoint(MEANING_FAULTS)
    assert set(FAULT_TYPES) == set(HARD_FACT_FAULTS) | set(MEANING_FAULTS)


def test_every_fault_type_is_present() -> None:
    present = Counter(case.fault_type for _ctx, case in FAULTS)
    assert set(present) == set(FAULT_TYPES), f"missing: {sorted(set(FAULT_TYPES) - set(present))}"


def test_ids_are_unique_across_the_corpus() -> None:
    ids = [ctx.id for ctx in CORPUS] + [case.id for _ctx, case in CASES]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates


def test_contexts_contain_every_feature_issue_9_requires() -> None:
    claimed = {feature for ctx in CORPUS for feature in ctx.features}
    assert claimed >= REQUIRED_FEATURES, f"no context has: {sorted(REQUIRED_FEATURES - claimed)}"
    # A claim is only as good as the text: each recognisable feature shows in a context that claims it.
    for feature, pattern in FEATURE_PATTERNS.items():
        shown = [ctx.id for ctx in CORPUS if feature in ctx.features and re.search(pattern, ctx.context)]
        assert shown, f"no context that claims {feature!r} shows it"


@pytest.mark.parametrize(("ctx", "case"), CASES, ids=_ids(CASES))
def test_every_card_parses(ctx: CorpusContext, case: CorpusCase) -> None:
    card = parse_card(case.card)
    assert card.kind == case.kind
    assert card.topic == ctx.topic


@pytest.mark.parametrize(("ctx", "case"), FAITHFUL, ids=_ids(FAITHFUL))
def test_faithful_sources_are_verbatim_in_their_context(ctx: CorpusContext, case: CorpusCase) -> None:
    missing = [source for source in case.card["sources"] if source not in ctx.context]
    assert not missing


@pytest.mark.parametrize(("ctx", "case"), FAULTS, ids=_ids(FAULTS))
def test_fault_differs_from_the_card_it_was_derived_from(ctx: CorpusContext, case: CorpusCase) -> None:
    assert case.derived_from is not None
    original = ctx.case(case.derived_from)
    assert original.label == "faithful"
    assert original.kind == case.kind
    assert case.card != original.card
    altered_sources = [source for source in case.card["sources"] if source not in ctx.context]
    # One planted error: only a source_altered fault touches the verbatim sources.
    if case.fault_type == "source_altered":
        assert altered_sources
    else:
        assert not altered_sources
    if case.fault_type == "wrong_key":
        assert case.card["answer_index"] != original.card["answer_index"]


# The loader refuses a malformed file and says which file and case.


def _write(folder: Path, doc: dict[str, Any]) -> Path:
    path = folder / f"{doc['id']}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _valid_doc() -> dict[str, Any]:
    """A one-faithful, one-fault copy of the first context, renamed so the tests own it."""
    ctx = CORPUS[0]
    fault = ctx.faults[0]
    assert fault.derived_from is not None
    faithful = ctx.case(fault.derived_from)
    return {
        "id": "demo-ctx",
        "specialty": ctx.specialty,
        "topic": ctx.topic,
        "features": list(ctx.features),
        "context": ctx.context,
        "cases": [
            {
                "id": "demo-ctx-f1",
                "label": "faithful",
                "kind": faithful.kind,
                "card": copy.deepcopy(faithful.card),
            },
            {
                "id": "demo-ctx-x1",
                "label": "fault",
                "fault_type": fault.fault_type,
                "derived_from": "demo-ctx-f1",
                "fault": fault.fault,
                "kind": fault.kind,
                "card": copy.deepcopy(fault.card),
            },
        ],
    }


def test_loader_reads_a_valid_file(tmp_path: Path) -> None:
    _write(tmp_path, _valid_doc())
    [ctx] = load_corpus(tmp_path)
    assert ctx.id == "demo-ctx"
    assert ctx.faithful[0].id == "demo-ctx-f1"


def _break_fault_type(doc: dict[str, Any]) -> None:
    doc["cases"].append(
        {
            **doc["cases"][0],
            "id": "demo-ctx-x9",
            "label": "fault",
            "fault_type": "typo",
            "derived_from": "demo-ctx-f1",
            "fault": "x",
        }
    )


def _break_derived_from(doc: dict[str, Any]) -> None:
    doc["cases"].append(
        {
            **doc["cases"][0],
            "id": "demo-ctx-x9",
            "label": "fault",
            "fault_type": "dose_changed",
            "derived_from": "demo-ctx-f7",
            "fault": "x",
        }
    )


def _duplicate_case(doc: dict[str, Any]) -> None:
    doc["cases"].append(copy.deepcopy(doc["cases"][0]))


def _drop_card(doc: dict[str, Any]) -> None:
    del doc["cases"][0]["card"]


def _wrong_topic(doc: dict[str, Any]) -> None:
    doc["cases"][0]["card"]["topic"] = "Otro tema"


def _bad_label(doc: dict[str, Any]) -> None:
    doc["cases"][0]["label"] = "good"


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_fault_type, "demo-ctx-x9: fault_type must be one of"),
        (_break_derived_from, "demo-ctx-x9: derived_from 'demo-ctx-f7' is not a faithful case"),
        (_duplicate_case, "id 'demo-ctx-f1' is already used"),
        (_drop_card, "demo-ctx-f1: missing card"),
        (_wrong_topic, "demo-ctx-f1: card.topic 'Otro tema' differs"),
        (_bad_label, "demo-ctx-f1: label must be 'faithful' or 'fault'"),
    ],
)
def test_loader_names_the_file_and_case_at_fault(tmp_path: Path, breaker: Any, message: str) -> None:
    doc = _valid_doc()
    breaker(doc)
    _write(tmp_path, doc)
    with pytest.raises(ValueError, match=r"demo-ctx\.json") as excinfo:
        load_corpus(tmp_path)
    assert message in str(excinfo.value)


def test_loader_refuses_a_file_whose_id_is_not_its_name(tmp_path: Path) -> None:
    doc = _valid_doc()
    (tmp_path / "otro-nombre.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"otro-nombre\.json: id 'demo-ctx' .* equal the file name"):
        load_corpus(tmp_path)


def test_loader_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "roto.json").write_text("{no es json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"roto\.json: not a UTF-8 JSON document"):
        load_corpus(tmp_path)
