"""Numbers with their units, as the grounding gate compares them.

A quantity is a value and an optional unit. Values compare as numbers written with
either decimal mark ("0,5" == "0.5" == "0,50"). Units compare after case and accent
folding and after mapping spellings of the same unit to one name, segment by segment
("U/kg/hr" == "UI/kg/hora" == "U/kg/h"; "mL" == "cc"). Different units never match
("mmol/L" != "mEq/L", "mg" != "mcg"), even where the numbers would coincide.

A number followed by a range word or dash and a second number takes that number's
unit ("15-20 mL/kg" and "15 a 20 mL/kg" give 15 mL/kg and 20 mL/kg). A dot between
digits is a decimal mark: a Spanish thousands separator ("1.000") reads as 1, the
same on both sides, so a card that copies the context's notation still matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Spellings of one unit, folded (lower case, no accents) -> the name compared.
_UNIT_ALIASES: dict[str, str] = {
    **dict.fromkeys(("h", "hr", "hrs", "hora", "horas"), "h"),
    **dict.fromkeys(("min", "mins", "minuto", "minutos"), "min"),
    **dict.fromkeys(("s", "seg", "segundo", "segundos"), "s"),
    **dict.fromkeys(("d", "dia", "dias"), "d"),
    **dict.fromkeys(("sem", "semana", "semanas"), "semana"),
    **dict.fromkeys(("mes", "meses"), "mes"),
    **dict.fromkeys(("ano", "anos"), "ano"),
    **dict.fromkeys(("u", "ui", "unidad", "unidades"), "u"),
    **dict.fromkeys(("mu", "mui"), "mu"),
    **dict.fromkeys(("mcg", "ug", "µg", "μg", "microgramo", "microgramos"), "mcg"),
    **dict.fromkeys(("mg", "miligramo", "miligramos"), "mg"),
    **dict.fromkeys(("g", "gr", "gramo", "gramos"), "g"),
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogramo", "kilogramos"), "kg"),
    **dict.fromkeys(("ml", "cc", "mililitro", "mililitros"), "ml"),
    **dict.fromkeys(("l", "litro", "litros"), "l"),
    **dict.fromkeys(("umol", "µmol", "μmol"), "umol"),
    **dict.fromkeys(("lpm", "latidos"), "lpm"),
    **dict.fromkeys(("rpm", "respiraciones"), "rpm"),
    **dict.fromkeys(("punto", "puntos"), "punto"),
    **{
        unit: unit
        for unit in (
            "ng",
            "dl",
            "meq",
            "mmol",
            "mol",
            "mosm",
            "mmhg",
            "cmh2o",
            "kcal",
            "mm",
            "cm",
            "m2",
            "ppm",
            "%",
            "°c",
            "mcl",
            "ul",
            "fl",
            "pg",
        )
    },
}

# Unit spellings are not content words: the quantity check, not the vocabulary check, owns them.
UNIT_SPELLINGS: frozenset[str] = frozenset(_UNIT_ALIASES)

_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?")
# A unit starts with a letter, and so does each "/" segment: "mL/min/1,73 m²" is mL/min, then 1,73 m².
_UNIT = re.compile(r"\s?(%|[°º]\s?[cC]\b|[^\W\d_][^\W_]*(?:/[^\W\d_][^\W_]*)*)")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|a|y|o|hasta|al)\s*")


@dataclass(frozen=True, slots=True)
class Quantity:
    value: str
    unit: str | None
    text: str

    def __str__(self) -> str:
        return self.text


def fold(text: str) -> str:
    """Lower case without accents: the form words and units are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _value(number: str) -> str:
    try:
        return format(Decimal(number.replace(",", ".")).normalize(), "f")
    except InvalidOperation:  # the pattern only matches digits; kept for safety of the gate
        return number


def _unit(raw: str) -> str | None:
    segments = fold(raw.replace("º", "°").replace(" ", "")).split("/")
    if segments[0] not in _UNIT_ALIASES:
        return None
    return "/".join(_UNIT_ALIASES.get(segment, segment) for segment in segments)


def quantities(text: str) -> list[Quantity]:
    """Every number in `text` with the unit written right after it (or after its range)."""
    found: list[tuple[int, int, str, str | None]] = []
    for match in _NUMBER.finditer(text):
        end = match.end()
        unit = None
        unit_match = _UNIT.match(text, end)
        if unit_match:
            unit = _unit(unit_match.group(1))
            if unit is not None:
                end = unit_match.end()
        found.append((match.start(), end, _value(match.group()), unit))
    result: list[Quantity] = []
    for i, (start, end, value, unit) in enumerate(found):
        if unit is None and i + 1 < len(found):
            next_start, _next_end, _next_value, next_unit = found[i + 1]
            if next_unit is not None and _RANGE_JOIN.fullmatch(text, end, next_start):
                unit = next_unit
        result.append(Quantity(value=value, unit=unit, text=text[start:end]))
    return result


class QuantityIndex:
    """The quantities of a text, indexed for the question "does this one occur there?"."""

    def __init__(self, texts: list[str]) -> None:
        self.with_unit: set[tuple[str, str | None]] = set()
        self.values: set[str] = set()
        for text in texts:
            for quantity in quantities(text):
                self.with_unit.add((quantity.value, quantity.unit))
                self.values.add(quantity.value)

    def __contains__(self, quantity: Quantity) -> bool:
        # A bare number ("menor de 200") is supported by that number with any unit.
        if quantity.unit is None:
            return quantity.value in self.values
        return (quantity.value, quantity.unit) in self.with_unit
