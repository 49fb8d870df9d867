"""The grounding gate v2 (issue 9): facts are strict, language is free, meaning is checked.

Each rule is shown on a small hand-written guideline excerpt (not from the labeled corpus):
what a capable model faithfully writes passes, and the planted fault is caught with the
rule's code, the offending word or value and the closest context sentence.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aimed_contracts.grounding import MESSAGES_ES, check_card
from tests.support.cards import battlecard_payload, mcq_payload

TOPIC = "Anticoagulación en la fibrilación auricular e hiperkalemia"
CONTEXT = (
    "La fibrilación auricular (FA) no valvular aumenta el riesgo de ictus. "
    "Se recomienda anticoagular si la puntuación CHA2DS2-VASc es ≥ 2 en varones, lo que reduce "
    "la mortalidad12,13 y mejora la supervivencia libre de ictus89–91. "
    "El apixabán se administra a 5 mg cada 12 h. "
    "El dabigatrán se administra a 150 mg cada 12 h. "
    "La dosis de apixabán se reduce a 2,5 mg cada 12 h si se cumplen dos de estos criterios: "
    "edad ≥ 80 años, peso ≤ 60 kg o creatinina ≥ 1,5 mg/dL. "
    "Los anticoagulantes orales están contraindicados si PLT < 50.000/µL. "
    "No se recomienda el ácido acetilsalicílico para prevenir el ictus en la FA. "
    "El tratamiento de la hiperpotasemia con K > 6,5 mEq/L incluye gluconato cálcico; "
    "el NaHCO3 se reserva para la acidosis. "
    "Si el ECG persiste alterado, se repite el gluconato cálcico. "
    "La TA objetivo es < 130/80 mmHg. "
    "La dosis de carga de digoxina en niños es 0,01 mg por kilogramo. "
    "El magnesio sérico objetivo es 1.6 mEq /L en adultos >18ª.\n"
    "• La trombólisis está contraindicada si hay sangrado activo."
)
SOURCES = [
    "El apixabán se administra a 5 mg cada 12 h.",  # 0
    "El dabigatrán se administra a 150 mg cada 12 h.",  # 1
    "No se recomienda el ácido acetilsalicílico para prevenir el ictus en la FA.",  # 2
    "Los anticoagulantes orales están contraindicados si PLT < 50.000/µL.",  # 3
    "La dosis de carga de digoxina en niños es 0,01 mg por kilogramo.",  # 4
    "El magnesio sérico objetivo es 1.6 mEq /L en adultos >18ª.",  # 5
]


FAITHFUL_POINTS = [
    ("Apixabán: 5 mg cada 12 h.", 0),
    ("Dabigatrán: 150 mg cada 12 h.", 1),
    ("El ácido acetilsalicílico no se recomienda para prevenir el ictus en la FA.", 2),
]


def one_point_changed(
    index: int, *, text: str | None = None, source: int | None = None
) -> list[tuple[str, int]]:
    """The faithful key points with the one at `index` given another text or another source."""
    points = list(FAITHFUL_POINTS)
    old_text, old_source = points[index]
    points[index] = (old_text if text is None else text, old_source if source is None else source)
    return points


def battlecard(summary: str, points: list[tuple[str, int]] | None = None, **extra: Any) -> dict[str, Any]:
    return battlecard_payload(TOPIC, summary, points or FAITHFUL_POINTS, SOURCES, **extra)


def codes(card: dict[str, Any], topic: str | None = TOPIC) -> list[tuple[str, str]]:
    return [(issue.code, issue.field) for issue in check_card(card, CONTEXT, topic=topic).issues]


def test_the_faithful_card_passes() -> None:
    assert codes(battlecard("Anticoagular la FA con apixabán o dabigatrán.")) == []


# -- language is free ----------------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        # ordinary Spanish (the issue's list): connectives, verbs, counts
        "Además, conviene añadir apixabán; la dosis depende del peso: primero se valora, "
        "después se suman los criterios, salvo sangrado activo, y así se explica que va a 2,5 mg.",
        "Se cumplen cuatro criterios o dos; hay que revisar la creatinina.",
        # inflections and derivations of the context's words
        "Tratar la hiperpotasemia con gluconato cálcico, y repetirlo si el ECG persistiera alterado.",
        "Hay contraindicaciones: la trombolítica con sangrado activo y los anticoagulantes con PLT bajas.",
        # the topic's words
        "La hiperkalemia grave se trata con gluconato cálcico.",
        # spelled-out abbreviations of the context (defined in it or in the table)
        "En la fibrilación auricular, potasio > 6,5 mEq/L: gluconato cálcico; bicarbonato solo en la "
        "acidosis; tensión arterial objetivo < 130/80 mmHg; plaquetas < 50.000/µL contraindican "
        "anticoagular; electrocardiograma alterado: repetir.",
        # numbers written another valid way, glued citations
        "Digoxina en niños: 0,01 mg/kg; magnesio sérico 1,6 mEq/L en mayores de 18 años.",
        "Anticoagular reduce la mortalidad y mejora la supervivencia libre de ictus.",
        "Anticoagular si CHA2DS2-VASc mayor o igual que dos en varones.",
    ],
)
def test_what_a_capable_model_writes_passes(summary: str) -> None:
    assert codes(battlecard(summary)) == []


def test_the_topic_supports_its_own_words_only_when_passed() -> None:
    card = battlecard("El tromboembolismo se previene al anticoagular la FA.")
    assert codes(card, topic="Tromboembolismo en la FA") == []
    assert codes(card, topic=None) == [("unsupported_term", "summary")]


def test_a_graded_analyte_word_is_supported_by_the_analyte_the_context_names() -> None:
    # "hiperkalemia": hiper- + kal- (Latin root of K, potasio) + -emia; the context names
    # "K" and "hiperpotasemia", so no topic is needed.
    assert codes(battlecard("La hiperkalemia grave se trata con gluconato cálcico."), topic=None) == []


def apixaban_mcq(vignette: str, explanation: str) -> dict[str, Any]:
    """An MCQ on the apixabán dose reduction, about the patient of `vignette`."""
    return {
        "schema_version": 1,
        "kind": "drill_mcq",
        "topic": TOPIC,
        "level": 1,
        "angle": None,
        "sources": [SOURCES[0], CONTEXT.split(". ")[4] + "."],
        "vignette": vignette,
        "question": "¿Qué dosis de apixabán le corresponde?",
        "options": ["2,5 mg cada 12 h", "5 mg cada 12 h", "150 mg cada 12 h", "10 mg cada 12 h"],
        "answer_index": 0,
        "explanation": explanation,
        "option_rationales": [
            "Correcta: 84 años y 58 kg.",
            "Incorrecta: es la dosis sin criterios de reducción.",
            "Incorrecta: es la dosis del dabigatrán.",
            "Incorrecta: 10 mg no es una dosis de la guía.",
        ],
    }


def test_vignette_values_may_recur_in_the_explanation_and_rubric() -> None:
    mcq = apixaban_mcq(
        "Mujer de 84 años, 58 kg, creatinina 1,7 mg/dL, con FA.",
        "Con 84 años y 58 kg cumple dos criterios: la dosis se reduce a 2,5 mg cada 12 h.",
    )
    assert codes(mcq) == []
    mcq["explanation"] = "Con 84 años y 55 kg cumple dos criterios."
    assert codes(mcq) == [("number_not_in_context", "explanation")]


def test_a_claim_about_the_patient_may_name_what_the_vignette_names() -> None:
    mcq = apixaban_mcq(
        "Mujer de 84 años, 58 kg, con FA, bradipsiquia y edemas maleolares.",
        "Pese a la bradipsiquia y los edemas, con 84 años y 58 kg la dosis se reduce a 2,5 mg cada 12 h.",
    )
    assert codes(mcq) == []
    # A finding neither the context nor the vignette names is still an invention...
    mcq["explanation"] = "Pese a la ascitis, con 84 años y 58 kg la dosis se reduce a 2,5 mg cada 12 h."
    report = check_card(mcq, CONTEXT, topic=TOPIC)
    assert [(i.code, i.field, i.evidence) for i in report.issues] == [
        ("unsupported_term", "explanation", "ascitis")
    ]
    # ...and a claim that does not reason about the patient (a BattleCard) gets no vignette.
    assert codes(battlecard("En la FA con bradipsiquia, apixabán.")) == [("unsupported_term", "summary")]
    # A name completed by a capital letter is matched as a pair: the vignette's "hepatitis C"
    # supports "hepatitis C", not "hepatitis B".
    mcq["vignette"] = "Mujer de 84 años, 58 kg, con FA y hepatitis C."
    mcq["explanation"] = "Pese a la hepatitis C, con 84 años y 58 kg la dosis se reduce a 2,5 mg cada 12 h."
    assert codes(mcq) == []
    mcq["explanation"] = mcq["explanation"].replace("hepatitis C", "hepatitis B")
    assert codes(mcq) == [("unsupported_term", "explanation")]


def test_a_ratio_written_with_a_slash_supports_the_word_cociente() -> None:
    def pleural(context: str, summary: str, point: str) -> list[Any]:
        card = battlecard_payload(
            "Derrame pleural",
            summary,
            [(point, 0), ("Es exudado si lo cumple.", 0), ("Se mide en el líquido pleural.", 0)],
            [context],
        )
        return [i.evidence for i in check_card(card, context, topic="Derrame pleural").issues]

    ratio = "Es exudado si proteínas líquido pleural/suero > 0,5 o LDH > 200 U/L."
    assert (
        pleural(
            ratio, "El cociente de proteínas líquido pleural/suero > 0,5 indica exudado.", "Cociente > 0,5."
        )
        == []
    )
    # A slash inside a unit ("U/L") writes no ratio: the word stays unsupported.
    units = "Es exudado si LDH > 200 U/L en el líquido pleural."
    assert pleural(units, "Un cociente de LDH > 200 U/L indica exudado.", "LDH > 200 U/L.") == ["cociente"]


# -- facts are strict ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "code", "evidence"),
    [
        ("Apixabán a 10 mg cada 12 h.", "number_not_in_context", "10 mg"),  # changed dose
        ("Anticoagular si CHA2DS2-VASc ≥ 3 en varones.", "number_not_in_context", "3"),  # threshold
        ("Apixabán a 5 mcg cada 12 h.", "number_not_in_context", "5 mcg"),  # wrong unit
        ("Digoxina en niños: 0,01 mg/L.", "number_not_in_context", "0,01 mg/L"),  # wrong unit
        ("En la FA se puede usar rivaroxabán.", "unsupported_term", "rivaroxabán"),  # invented drug
        ("Pedir un ecocardiograma antes de anticoagular.", "unsupported_term", "ecocardiograma"),  # test
        ("Si la TC muestra sangrado, no anticoagular.", "unsupported_term", "TC"),  # invented test
    ],
)
def test_hard_facts_are_still_caught(summary: str, code: str, evidence: str) -> None:
    report = check_card(battlecard(summary), CONTEXT, topic=TOPIC)
    assert [(i.code, i.field, i.evidence) for i in report.issues] == [(code, "summary", evidence)]


def test_an_altered_source_is_caught() -> None:
    card = battlecard("Apixabán o dabigatrán.")
    card["sources"] = [*SOURCES[:-1], "El apixabán se administra a 5 mg cada 24 h."]
    assert codes(card) == [("source_not_in_context", "sources[5]")]


# -- meaning ---------------------------------------------------------------------------


def test_a_removed_negation_is_a_polarity_mismatch() -> None:
    card = battlecard(
        "Anticoagular la FA.",
        one_point_changed(2, text="Se recomienda el ácido acetilsalicílico para prevenir el ictus en la FA."),
    )
    report = check_card(card, CONTEXT, topic=TOPIC)
    assert [(i.code, i.field) for i in report.issues] == [("polarity_mismatch", "key_points[2].text")]
    assert report.issues[0].closest_sentence == SOURCES[2]


def test_contraindicated_swapped_for_indicated_is_a_polarity_mismatch() -> None:
    card = battlecard(
        "Los anticoagulantes orales están indicados si PLT < 50.000/µL.",
    )
    assert codes(card) == [("polarity_mismatch", "summary")]


def test_a_faithful_negation_and_a_condition_are_not_mismatches() -> None:
    card = battlecard(
        "No usar ácido acetilsalicílico para prevenir el ictus en la FA; si no hay sangrado activo, "
        "la trombólisis no está contraindicada por ese motivo.",
    )
    assert codes(card) == []


def test_a_value_moved_to_another_entity_is_caught() -> None:
    card = battlecard("Anticoagular la FA.", one_point_changed(1, text="Dabigatrán: 5 mg cada 12 h."))
    report = check_card(card, CONTEXT, topic=TOPIC)
    assert ("value_entity_mismatch", "key_points[1].text") in [(i.code, i.field) for i in report.issues]
    issue = next(i for i in report.issues if i.code == "value_entity_mismatch")
    assert issue.evidence == "5 mg"


def test_a_key_point_citing_a_source_that_does_not_say_it_is_caught() -> None:
    card = battlecard("Anticoagular la FA.", one_point_changed(1, source=4))
    assert codes(card) == [("claim_not_in_cited_source", "key_points[1].text")]


def _mcq(answer_index: int, explanation: str) -> dict[str, Any]:
    return mcq_payload(
        TOPIC,
        [SOURCES[2], SOURCES[3]],
        "Varón de 70 años con FA no valvular y plaquetas 42.000/µL.",
        "¿Qué está indicado para prevenir el ictus en este paciente?",
        [
            "No anticoagular: los anticoagulantes orales están contraindicados con PLT < 50.000/µL",
            "Ácido acetilsalicílico para prevenir el ictus",
            "Apixabán a dosis plena",
            "Dabigatrán a dosis plena",
        ],
        answer_index,
        explanation=explanation,
    )


def test_the_keyed_option_must_be_the_one_the_sources_support_best() -> None:
    faithful = _mcq(0, "Los anticoagulantes orales están contraindicados si PLT < 50.000/µL.")
    assert codes(faithful) == []
    wrong_key = _mcq(2, "El apixabán se administra a dosis plena en la FA.")
    assert ("key_not_best_supported", "answer_index") in codes(wrong_key)


# -- every refusal explains itself -----------------------------------------------------


def test_an_issue_names_the_claim_the_evidence_the_rule_and_the_closest_sentence() -> None:
    card = battlecard("Apixabán a 10 mg cada 12 h en la FA.")
    [issue] = check_card(card, CONTEXT, topic=TOPIC).issues
    assert issue.code == "number_not_in_context"
    assert issue.claim == "Apixabán a 10 mg cada 12 h en la FA."
    assert issue.evidence == "10 mg"
    assert issue.closest_sentence == "El apixabán se administra a 5 mg cada 12 h."
    assert issue.message_es == "La cifra «10 mg» no aparece en la guía."
    assert "10 mg" in issue.message


def test_every_code_has_a_spanish_message() -> None:
    from typing import get_args

    from aimed_contracts.grounding import IssueCode

    assert set(get_args(IssueCode)) == set(MESSAGES_ES)


def test_the_card_is_not_changed_by_the_gate() -> None:
    card = battlecard("Anticoagular la FA.")
    before = copy.deepcopy(card)
    check_card(card, CONTEXT, topic=TOPIC)
    assert card == before
