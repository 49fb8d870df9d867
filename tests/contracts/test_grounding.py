"""The grounding gate on hand-written Spanish cards: grounded cards pass, planted faults are caught."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from aimed_contracts.cards import parse_card
from aimed_contracts.examples import (
    EXAMPLE_BATTLECARD,
    EXAMPLE_CARDS,
    EXAMPLE_CONTEXT,
    EXAMPLE_DRILL_MCQ,
    EXAMPLE_DRILL_OPEN,
)
from aimed_contracts.grounding import GroundingReport, check_card
from aimed_contracts.quantities import Quantity


def _issues(report: GroundingReport) -> list[tuple[str, str]]:
    return [(issue.code, issue.field) for issue in report.issues]


def _card(base: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(base)


@pytest.mark.parametrize("kind", sorted(EXAMPLE_CARDS))
def test_a_grounded_card_of_each_kind_passes(kind: str) -> None:
    report = check_card(EXAMPLE_CARDS[kind], EXAMPLE_CONTEXT)
    assert report.issues == []
    assert report.valid
    assert report.kind == kind
    assert report.sources_checked == len(EXAMPLE_CARDS[kind]["sources"])
    assert report.numbers_checked > 0 and report.terms_checked > 0


def test_a_parsed_card_json_text_and_passages_are_accepted() -> None:
    passages = [sentence + "." for sentence in EXAMPLE_CONTEXT.split(". ")]
    assert check_card(parse_card(EXAMPLE_DRILL_OPEN), EXAMPLE_CONTEXT).valid
    assert check_card(json.dumps(EXAMPLE_DRILL_OPEN), passages).valid
    assert check_card(EXAMPLE_DRILL_OPEN, [{"id": 1, "text": p} for p in passages]).valid


def test_a_changed_dose_is_caught() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["key_points"][3]["text"] = "Insulina regular intravenosa en perfusión continua a 0,2 U/kg/h."
    report = check_card(card, EXAMPLE_CONTEXT)
    assert _issues(report) == [("number_not_in_context", "key_points[3].text")]
    assert "0,2 U/kg/h" in report.issues[0].message
    assert not report.valid


def test_a_changed_unit_is_caught_even_with_the_same_number() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["key_points"][3]["text"] = "Insulina regular intravenosa en perfusión continua a 0,1 mg/kg/h."
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("number_not_in_context", "key_points[3].text")]


def test_a_changed_threshold_in_the_correct_option_is_caught() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["options"][0] = "Reponer potasio y retrasar la insulina hasta 4 mEq/L"
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("number_not_in_context", "options[0]")]


def test_a_fabricated_quote_is_caught() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["sources"][3] = "La insulina regular intravenosa se administra en bolo de 0,1 U/kg."
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("source_not_in_context", "sources[3]")]


def test_a_source_differing_only_in_whitespace_quotes_and_case_is_verbatim() -> None:
    context = "El tratamiento se llama «reposición de volumen»\nen la primera hora."
    card = _card(EXAMPLE_DRILL_OPEN)
    card["sources"][0] = 'el tratamiento se llama "reposición  de volumen" en la primera hora.'
    report = check_card(card, context + " " + EXAMPLE_CONTEXT)
    assert ("source_not_in_context", "sources[0]") not in _issues(report)


def test_a_drug_absent_from_the_context_is_caught() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["red_flags"].append("Cefalea durante el tratamiento: administrar manitol.")
    report = check_card(card, EXAMPLE_CONTEXT)
    assert _issues(report) == [("unsupported_term", "red_flags[2]")]
    assert "manitol" in report.issues[0].message


def test_an_invented_test_in_the_explanation_is_caught() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["explanation"] += " Conviene solicitar un electrocardiograma."
    report = check_card(card, EXAMPLE_CONTEXT)
    assert ("unsupported_term", "explanation") in _issues(report)
    assert any("electrocardiograma" in issue.message for issue in report.issues)


def test_inflections_and_accents_of_context_words_are_supported() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["summary"] = (
        "Se administran insulinas regulares intravenosas; reponer el potasio si es menor de 3,3 mEq/L."
    )
    card["red_flags"] = [
        "Hipoglucemia e hipopotasemia: complicaciones frecuentes del tratamiento con insulina."
    ]
    assert check_card(card, EXAMPLE_CONTEXT).valid


def test_framing_verbs_are_not_taken_for_medical_facts() -> None:
    card = _card(EXAMPLE_BATTLECARD)
    card["summary"] = "Si el paciente presenta hipopotasemia, se reconoce una complicación del tratamiento."
    assert check_card(card, EXAMPLE_CONTEXT).valid


def test_the_vignette_question_and_distractors_are_exempt_from_number_and_word_checks() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["vignette"] = "Varón de 67 años en tratamiento con metformina, glucemia 612 mg/dL y pH 7,01."
    card["question"] = "¿Cuál es la conducta inicial en este varón tratado con metformina?"
    card["options"][2] = "Administrar manitol 1 g/kg"
    card["option_rationales"][2] = "Incorrecta: la opción de 1 g/kg no aparece en el contexto."
    assert check_card(card, EXAMPLE_CONTEXT).valid


def test_a_rationale_may_cite_the_case_and_the_options_but_not_invent_a_number() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["option_rationales"][0] = "Correcta: el potasio de 2,9 mEq/L es menor de 3,3 mEq/L."
    assert check_card(card, EXAMPLE_CONTEXT).valid
    card["option_rationales"][1] = "Incorrecta: la insulina se inicia con potasio de al menos 4,5 mEq/L."
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("number_not_in_context", "option_rationales[1]")]


def test_duplicate_options_are_caught_after_normalisation() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["options"][3] = "  reponer potasio y RETRASAR la insulina. "
    report = check_card(card, EXAMPLE_CONTEXT)
    assert _issues(report) == [("duplicate_options", "options[3]")]
    assert "options[0]" in report.issues[0].message


@pytest.mark.parametrize("answer_index", [4, 9])
def test_answer_index_out_of_range_is_caught(answer_index: int) -> None:
    card = {**_card(EXAMPLE_DRILL_MCQ), "answer_index": answer_index}
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("answer_index_out_of_range", "answer_index")]


@pytest.mark.parametrize(
    "option",
    [
        "Todas las anteriores",
        "Ninguna de las anteriores.",
        "todas son correctas",
        "NINGUNA DE LAS ANTERIORES",
    ],
)
def test_all_or_none_of_the_above_is_caught(option: str) -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["options"][3] = option
    assert ("forbidden_option", "options[3]") in _issues(check_card(card, EXAMPLE_CONTEXT))


def test_rationale_count_mismatch_is_caught() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["option_rationales"].pop()
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("rationale_count_mismatch", "option_rationales")]


@pytest.mark.parametrize(
    ("base", "list_field"), [(EXAMPLE_BATTLECARD, "key_points"), (EXAMPLE_DRILL_OPEN, "rubric")]
)
def test_source_index_out_of_range_is_caught(base: dict[str, Any], list_field: str) -> None:
    card = _card(base)
    card[list_field][1]["source"] = len(card["sources"])
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [
        ("source_index_out_of_range", f"{list_field}[1].source")
    ]


def test_a_level_1_lead_in_that_is_not_a_question_is_caught() -> None:
    card = {**_card(EXAMPLE_DRILL_MCQ), "question": "Indique el siguiente paso más adecuado."}
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("question_not_a_question", "question")]


@pytest.mark.parametrize(
    "prompt",
    [
        "Describe el tratamiento inicial de esta paciente.",
        "Enumera los criterios de resolución que cumple.",
        "Justifica si la CAD está resuelta",
        "Explique si la CAD está resuelta.",
    ],
)
def test_a_level_2_prompt_may_be_an_instruction(prompt: str) -> None:
    card = {**_card(EXAMPLE_DRILL_OPEN), "question": prompt}
    assert check_card(card, EXAMPLE_CONTEXT).valid


def test_a_level_2_prompt_that_is_neither_question_nor_instruction_is_caught() -> None:
    card = {**_card(EXAMPLE_DRILL_OPEN), "question": "La CAD de este paciente y sus criterios."}
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("question_not_a_question", "question")]


def test_the_level_must_match_the_drill_kind() -> None:
    card = {**_card(EXAMPLE_DRILL_OPEN), "level": 1}
    assert _issues(check_card(card, EXAMPLE_CONTEXT)) == [("level_kind_mismatch", "level")]


def test_schema_failures_are_issues_not_exceptions() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    del card["explanation"]
    card["options"] = card["options"][:3]
    report = check_card(card, EXAMPLE_CONTEXT)
    assert ("schema_invalid", "explanation") in _issues(report)
    assert ("schema_invalid", "options") in _issues(report)
    assert ("rationale_count_mismatch", "option_rationales") in _issues(report)
    assert not report.valid


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("{not json", "not valid JSON"),
        (["a list"], "a card is a JSON object"),
        ({"kind": "quiz"}, "battlecard"),
    ],
)
def test_what_is_not_a_card_is_reported(card: Any, message: str) -> None:
    report = check_card(card, EXAMPLE_CONTEXT)
    assert not report.valid
    assert report.issues[0].code == "schema_invalid"
    assert message in report.issues[0].message


def test_every_planted_fault_is_reported_at_once() -> None:
    card = _card(EXAMPLE_DRILL_MCQ)
    card["sources"][1] = "La insulina se administra siempre por vía subcutánea."
    card["explanation"] = "Se administra insulina glargina a 0,5 U/kg/h."
    card["options"][3] = "Ninguna de las anteriores"
    card["option_rationales"].append("Sobra.")
    assert check_card(card, EXAMPLE_CONTEXT).codes == {
        "source_not_in_context",
        "number_not_in_context",
        "unsupported_term",
        "forbidden_option",
        "rationale_count_mismatch",
    }


def test_different_units_do_not_match() -> None:
    from aimed_contracts.quantities import QuantityIndex

    index = QuantityIndex(["potasio de al menos 3,3 mEq/L"])
    assert Quantity("3.3", "meq/l", "3,3 mEq/L") in index
    assert Quantity("3.3", "mmol/l", "3,3 mmol/L") not in index
    assert Quantity("3.3", None, "3,3") in index
