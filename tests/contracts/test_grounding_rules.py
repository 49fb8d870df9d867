"""The grounding gate's general rules, each on a small hand-written example (none from the corpus).

Numbers (denominators in words, blood pressures, table headers, counts per volume), words
(verbs are not terms, derivations, enclitic infinitives, names with a letter), polarity
(conjugations, names with "no", "sin", statements about the case, enclitics), list items
read with their lead-in, MCQ options reversed by a source, and level-2 prompts.
"""

from __future__ import annotations

from typing import Any

import pytest

from aimed_contracts.grounding import check_card
from aimed_contracts.lexicon import Vocabulary, is_participle, is_term, is_verb, lemma
from aimed_contracts.quantities import QuantityIndex, quantities
from tests.support.cards import battlecard_payload, mcq_payload

TOPIC = "Hiperpotasemia y diálisis urgente"
CONTEXT = (
    "La hiperpotasemia grave se trata con gluconato cálcico 10 mL iv en 2–3 min.\n"
    "La atropina no debe usarse en el paciente con trasplante cardíaco.\n"
    "Los AINE se evitarán en la enfermedad renal crónica.\n"
    "La cistitis no complicada se trata con fosfomicina 3 g en dosis única.\n"
    "Se administra bicarbonato 1 mEq/kg, sin superar 100 mEq por dosis.\n"
    "Indicaciones de diálisis urgente:\n"
    "• uremia sintomática (pericarditis, encefalopatía)\n"
    "• K > 6,5 mEq/L refractario\n"
    "La transfusión se reserva para Hb < 7 g/dL.\n"
    "No debe suspenderse el alopurinol durante una crisis de gota.\n"
    "Se suspende la metformina si el FG es < 30 mL/min.\n"
    "Los suplementos de vitamina K se dan por vía oral."
)
LINES = CONTEXT.split("\n")


def battlecard(summary: str, points: list[tuple[str, int]], sources: list[str]) -> dict[str, Any]:
    return battlecard_payload(TOPIC, summary, points, sources)


def codes(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(issue.code, issue.field) for issue in check_card(card, CONTEXT, topic=TOPIC).issues]


def summary_codes(summary: str) -> list[tuple[str, str]]:
    # A summary is compared with the card's sources: here, the lines the examples speak of.
    sources = [LINES[i] for i in (1, 2, 3, 4, 9, 11)]
    points = [(sources[0], 0), (sources[1], 1), (sources[4], 4)]
    return codes(battlecard(summary, points, sources))


# -- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0,5 mL por kilogramo y hora", [("0.5", "ml/kg/h")]),
        ("0,5 mL por kg por hora", [("0.5", "ml/kg/h")]),
        ("glucemia a la hora ≥ 190 mg/dL", [("190", "mg/dl")]),
        ("glucemia por hora", []),
        ("TA 82/50 mmHg", [("82", "mmhg"), ("50", "mmhg")]),
        ("peso de 35 a <70 kg", [("35", "kg"), ("70", "kg")]),
        ("hasta un máximo de 3 mg24.", [("3", "mg")]),
        ("neutrófilos < 500/µL", [("500", "/μl")]),
        ("200 mg a la semana", [("200", "mg/semana")]),
    ],
)
def test_more_ways_of_writing_a_quantity(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(q.value, q.unit) for q in quantities(text)] == expected


def test_a_table_row_lends_its_units_to_its_bare_numbers() -> None:
    index = QuantityIndex(["Alopurinol | FG (mL/min) | ≥ 60 | 100 mg/d", "Texto con 60 sin unidad."])
    assert quantities("60 mL/min")[0] in index
    assert quantities("61 mL/min")[0] not in index
    assert quantities("60 mg")[0] not in QuantityIndex(["Texto con 60 sin unidad | ni tabla"])


# -- words -----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["perfunde", "estratificar", "replantean", "transfunde", "sedada", "usarse"])
def test_verb_forms_are_not_terms(word: str) -> None:
    assert is_verb(word)
    assert not is_term(word)


@pytest.mark.parametrize("word", ["auricular", "ventricular", "lumbar", "apixabán", "troponina"])
def test_nouns_and_adjectives_stay_terms(word: str) -> None:
    assert not is_verb(word)
    assert is_term(word)


def test_adverbs_are_not_terms_and_enclitics_are_lemmatised() -> None:
    assert not is_term("indefinidamente")
    assert lemma("usarse") == "usar"
    assert lemma("iniciarla") == "iniciar"


@pytest.mark.parametrize(("claim", "context"), [("transfusiones", "transfunde"), ("suspensión", "suspende")])
def test_derivations_fundir_fusion_and_nder_nsion_match(claim: str, context: str) -> None:
    assert Vocabulary([f"Se {context} si procede."]).supports(claim)


@pytest.mark.parametrize("word", ["cuidados", "recaída", "tratados"])
def test_participles_of_ar_er_and_ir_verbs_are_not_terms(word: str) -> None:
    # -ado is an -ar verb's participle, -ido / -ída an -er or an -ir verb's; a plural
    # participle lemmatises to its singular, which is still a participle.
    assert is_participle(word)
    assert not is_term(word)


@pytest.mark.parametrize("word", ["nitrato", "hemorragia", "apixabán"])
def test_nouns_ending_like_a_participle_stem_are_not_participles(word: str) -> None:
    assert not is_participle(word)


@pytest.mark.parametrize(
    ("claim", "context"),
    [
        ("hipercalcemia", "El calcio sérico corregido supera 12 mg/dL."),  # analyte + -emia
        ("hipomagnesemia", "Se repone el magnesio por vía iv."),
        ("hiponatremia", "Iones (Na) cada 6 h."),  # Latin root natr- = sodio = Na
        ("hipokalemia", "Iones (K) cada 6 h."),  # Latin root kal- = potasio = K
        ("hipertensión", "La TA se mide en ambos brazos."),  # graded prefix + tensión (TA)
    ],
)
def test_graded_prefixes_and_analyte_levels_match_their_analyte(claim: str, context: str) -> None:
    assert Vocabulary([context]).supports(claim)


def test_an_ungraded_emia_word_is_not_derived_from_a_cell_or_analyte() -> None:
    # "leucemia" is a disease, not the level of "leucocitos": only graded words are derived.
    assert not Vocabulary(["Recuento de leucocitos."]).supports("leucemia")


@pytest.mark.parametrize(
    ("claim", "context"),
    [
        ("hipocalcemia", "Se repone el magnesio por vía iv."),  # another analyte
        ("hipotermia", "La TA se mide en ambos brazos."),  # "termia" is not in the context
        ("hiperuricemia", "Iones (Na) cada 6 h."),
    ],
)
def test_graded_words_of_another_analyte_stay_unsupported(claim: str, context: str) -> None:
    assert not Vocabulary([context]).supports(claim)


def test_a_word_with_a_capital_letter_is_a_term_as_a_pair() -> None:
    assert summary_codes("Los suplementos de vitamina K se dan por vía oral.") == []
    assert summary_codes("Los suplementos de vitamina D se dan por vía oral.") == [
        ("unsupported_term", "summary")
    ]


# -- polarity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        "En el paciente con trasplante cardíaco no se debe usar atropina.",
        "Los AINE se evitan en la enfermedad renal crónica.",
        "La cistitis no complicada se trata con fosfomicina 3 g en dosis única.",
        "El bicarbonato se da a 1 mEq/kg; no se deben superar 100 mEq por dosis.",
        "No hay uremia sintomática (ni pericarditis ni encefalopatía), así que no es indicación de diálisis.",
        "No se debe suspender el alopurinol durante una crisis de gota.",
    ],
)
def test_faithful_negations_agree(summary: str) -> None:
    assert summary_codes(summary) == []


@pytest.mark.parametrize(
    "summary",
    [
        "En el paciente con trasplante cardíaco se debe usar atropina.",
        "Los AINE se recomiendan en la enfermedad renal crónica; no se evitan.",
        "Debe suspenderse el alopurinol durante una crisis de gota.",
    ],
)
def test_reversed_recommendations_are_caught(summary: str) -> None:
    assert ("polarity_mismatch", "summary") in summary_codes(summary)


# -- cited sources ---------------------------------------------------------------------


def test_a_list_item_is_read_with_its_lead_in() -> None:
    sources = [LINES[5], LINES[6], LINES[8]]
    faithful = battlecard(
        "Diálisis urgente por uremia sintomática.",
        [
            ("La uremia sintomática es indicación de diálisis urgente.", 1),
            ("Transfundir si Hb < 7 g/dL.", 2),
            ("Las indicaciones de diálisis urgente incluyen la pericarditis urémica.", 1),
        ],
        sources,
    )
    assert codes(faithful) == []
    wrong = battlecard(
        "Diálisis urgente por uremia sintomática.",
        [
            ("La uremia sintomática es indicación de diálisis urgente.", 1),
            ("Transfundir si Hb < 7 g/dL.", 1),
            ("Las indicaciones de diálisis urgente incluyen la pericarditis urémica.", 1),
        ],
        sources,
    )
    assert codes(wrong) == [("claim_not_in_cited_source", "key_points[1].text")]


# -- MCQ key and level-2 prompts -------------------------------------------------------


def mcq(answer_index: int) -> dict[str, Any]:
    return mcq_payload(
        TOPIC,
        [LINES[9]],
        "Varón de 60 años que toma alopurinol y consulta por una crisis de gota.",
        "¿Qué hacer con el alopurinol?",
        [
            "Mantenerlo durante la crisis",
            "Suspenderlo durante la crisis",
            "Suspenderlo hasta que se resuelva la crisis",
            "Doblar la dosis durante la crisis",
        ],
        answer_index,
        explanation="No debe suspenderse el alopurinol durante una crisis de gota.",
    )


def test_an_option_a_source_reverses_is_not_the_best_supported() -> None:
    assert codes(mcq(0)) == []
    assert ("key_not_best_supported", "answer_index") in codes(mcq(1))


@pytest.mark.parametrize(
    "prompt",
    ["¿Qué indicación de diálisis tiene? Razona tu respuesta.", "Indica si precisa diálisis y por qué."],
)
def test_a_level_2_prompt_may_combine_a_question_and_an_instruction(prompt: str) -> None:
    card = {
        "schema_version": 1,
        "kind": "drill_open",
        "topic": TOPIC,
        "level": 2,
        "angle": None,
        "sources": [LINES[7]],
        "vignette": "Mujer de 70 años con K 7,1 mEq/L que no responde al tratamiento médico.",
        "question": prompt,
        "model_answer": "Tiene K > 6,5 mEq/L refractario: es indicación de diálisis urgente.",
        "rubric": [
            {"item": "Identifica K > 6,5 mEq/L refractario.", "source": 0},
            {"item": "Concluye que precisa diálisis urgente.", "source": 0},
        ],
    }
    assert codes(card) == []
