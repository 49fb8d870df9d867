"""One normaliser for numbers with units: every way a guideline writes a value reads the same."""

from __future__ import annotations

from typing import Any

import pytest

from aimed_contracts.quantities import QuantityIndex, normalise_numbers, quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0,5 mg", [("0.5", "mg")]),
        ("0.50 mg", [("0.5", "mg")]),
        ("0,1 U/kg/hr", [("0.1", "u/kg/h")]),
        ("0,1 UI/kg/hora", [("0.1", "u/kg/h")]),
        ("15-20 mL/kg", [("15", "ml/kg"), ("20", "ml/kg")]),
        ("150–300 mg", [("150", "mg"), ("300", "mg")]),
        ("entre 150 y 300 mg", [("150", "mg"), ("300", "mg")]),
        ("de 2 a 4 horas", [("2", "h"), ("4", "h")]),
        ("al 0,9 %", [("0.9", "%")]),
        ("38,5 ºC", [("38.5", "°c")]),
        ("dos criterios: pH 7,3 y anión gap 12 mEq/L", [("7.3", None), ("12", "meq/l")]),
        ("HCO3 bajo y 250 mg/dL", [("250", "mg/dl")]),
        ("FG <30 mL/min/1,73 m²", [("30", "ml/min"), ("1.73", "m2")]),
        ("1.6 mEq /L", [("1.6", "meq/l")]),
        ("1,6 mEq/L", [("1.6", "meq/l")]),
        ("0,01 mg por kilogramo", [("0.01", "mg/kg")]),
        ("0,01 mg por kg de peso", [("0.01", "mg/kg")]),
        ("0.01 mg/kg", [("0.01", "mg/kg")]),
        ("300 mg/día", [("300", "mg/d")]),
        ("300 mg al día", [("300", "mg/d")]),
        ("300 mg diarios", [("300", "mg/d")]),
        ("10mg/kg", [("10", "mg/kg")]),
        ("≥ 65años", [("65", "ano")]),
        ("dos horas", [("2", "h")]),
        ("entre dos y tres semanas", [("2", "semana"), ("3", "semana")]),
        ("1.000 mg", [("1000", "mg")]),
        ("2.500 UI", [("2500", "u")]),
        ("PA > 140 mm Hg", [("140", "mmhg")]),
    ],
)
def test_quantities_are_read_with_normalised_values_and_units(
    text: str, expected: list[tuple[str, Any]]
) -> None:
    assert [(q.value, q.unit) for q in quantities(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La supervivencia89–91 mejora.", "La supervivencia mejora."),
        ("reduce la mortalidad12,13.", "reduce la mortalidad."),
        ("según el ensayo [12] y otros [3-5]", "según el ensayo y otros"),
        ("mayor o igual que 65 años", "≥ 65 años"),
        ("al menos 3,3 mEq/L", "≥ 3,3 mEq/L"),
        ("menor de 200 mg/dL", "< 200 mg/dL"),
        ("dos de estos criterios", "dos de estos criterios"),
    ],
)
def test_the_normaliser_rewrites_citations_comparisons_and_number_words(text: str, expected: str) -> None:
    assert normalise_numbers(text) == expected


def test_names_with_digits_are_not_numbers_nor_citations() -> None:
    text = "HbA1c, CHA2DS2-VASc, SpO2 y NaHCO3"
    assert normalise_numbers(text) == text
    assert quantities(text) == []


def test_a_glued_citation_is_not_a_value() -> None:
    assert [(q.value, q.unit) for q in quantities("La supervivencia89–91 del 40 %")] == [("40", "%")]


def test_an_ordinal_supports_its_number_with_any_unit() -> None:
    index = QuantityIndex(["Indicado en mayores de >18ª con FA."])
    assert quantities("18 años")[0] in index
    assert quantities("19 años")[0] not in index


def test_different_units_do_not_match() -> None:
    index = QuantityIndex(["potasio de al menos 3,3 mEq/L"])
    assert quantities("3,3 mEq/L")[0] in index
    assert quantities("3,3 mmol/L")[0] not in index
    assert quantities("3,3")[0] in index


def test_number_words_of_the_context_support_bare_digits() -> None:
    index = QuantityIndex(["Se cumplen dos de estos criterios."])
    assert quantities("2")[0] in index
