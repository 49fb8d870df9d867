"""Numbers with their units, as the grounding gate compares them: one normaliser for every field.

`normalise_numbers(text)` rewrites the ways one quantity is written into one form before
any number is read, on the context and on a card alike:

- typographic dashes become "-", superscript digits become digits;
- citation numbers glued to a word ("supervivencia89–91", "mortalidad12,13", "[12]")
  are dropped: they are references, not values;
- spaces inside a unit go ("1.6 mEq /L" is "1.6 mEq/L"), and a denominator written as
  words becomes a "/" segment ("mg por kilogramo", "mg por kg de peso", "2 g al día",
  "2 g diarios" are "mg/kg", "2 g/día");
- a number written as a word ("dos horas", "entre dos y tres") becomes digits when a
  unit or a range follows it;
- comparison words become symbols ("mayor o igual que", "al menos" are "≥"; "menor
  de", "inferior a" are "<").

A quantity is a value and an optional unit. Values compare as
numbers with either decimal mark ("0,5" == "0.5" == "0,50"). Units compare after case and
accent folding and after mapping spellings of one unit to one name, segment by segment
("U/kg/hr" == "UI/kg/hora" == "U/kg/h"; "mL" == "cc"; "mg/día" == "mg/d"). Different units
never match ("mmol/L" != "mEq/L", "mg" != "mcg"). In a range ("15-20 mL/kg", "entre 150 y
300 mg", "de 2 a 4 horas") the first number takes the second's unit. An ordinal mark
("18ª", "2.º") makes a number an ordinal: it supports that number with any unit (">18ª"
stands for "over 18 years" in tables). A Spanish
thousands separator is read as one ("1.000 mg" == "1000 mg"; a dot followed by groups of
exactly three digits, not after a leading 0); any other dot or comma between digits is
a decimal mark.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Spellings of one unit, folded (lower case, no accents) -> the name compared.
_UNIT_ALIASES: dict[str, str] = {
    **dict.fromkeys(("h", "hr", "hrs", "hora", "horas"), "h"),
    **dict.fromkeys(("min", "mins", "minuto", "minutos"), "min"),
    **dict.fromkeys(("s", "seg", "segundo", "segundos"), "s"),
    **dict.fromkeys(("d", "dia", "dias"), "d"),
    **dict.fromkeys(("sem", "semana", "semanas"), "semana"),
    **dict.fromkeys(("mes", "meses"), "mes"),
    **dict.fromkeys(("a", "ano", "anos"), "ano"),
    **dict.fromkeys(("u", "ui", "unidad", "unidades"), "u"),
    **dict.fromkeys(("mu", "mui"), "mu"),
    **dict.fromkeys(("mcg", "ug", "µg", "μg", "microgramo", "microgramos"), "mcg"),
    **dict.fromkeys(("mg", "miligramo", "miligramos"), "mg"),
    **dict.fromkeys(("g", "gr", "gramo", "gramos"), "g"),
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogramo", "kilogramos"), "kg"),
    **dict.fromkeys(("ml", "cc", "mililitro", "mililitros"), "ml"),
    **dict.fromkeys(("l", "litro", "litros"), "l"),
    **dict.fromkeys(("dl", "decilitro", "decilitros"), "dl"),
    **dict.fromkeys(("umol", "µmol", "μmol"), "umol"),
    **dict.fromkeys(("lpm", "latidos"), "lpm"),
    **dict.fromkeys(("rpm", "respiraciones"), "rpm"),
    **dict.fromkeys(("punto", "puntos"), "punto"),
    **dict.fromkeys(("mmhg", "mm hg"), "mmhg"),
    **dict.fromkeys(("m2", "m²"), "m2"),
    **{
        unit: unit
        for unit in (
            "ng",
            "meq",
            "mmol",
            "mol",
            "mosm",
            "cmh2o",
            "kcal",
            "mm",
            "cm",
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
# "a" (años) is a unit only glued to its number ("65a"); written apart it is the preposition.
_GLUED_ONLY = frozenset({"a"})

# Unit spellings are not content words: the quantity check, not the term check, owns them.
UNIT_SPELLINGS: frozenset[str] = frozenset(_UNIT_ALIASES) - _GLUED_ONLY

# Units that may follow "por", "al", "a la" or "/" as a denominator.
_DENOMINATORS = (
    r"kilogramos?|kilos?|kg|horas?|h|d[ií]as?|d|minutos?|min|semanas?|m2|m²|litros?|l|dl|ml|"
    r"dosis|toma"
)
_NUMBER_WORDS = {
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "veinticuatro": 24,
    "treinta": 30,
    "cuarenta": 40,
    "cuarenta y ocho": 48,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
    "cien": 100,
}
# Counts written as words ("dos criterios") are ordinary Spanish, not facts to look up;
# written before a unit or in a range they are values.
NUMBER_WORDS: frozenset[str] = frozenset(w for w in _NUMBER_WORDS if " " not in w)

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "−": "-", "‐": "-"})
# A citation: digits right after a lower-case word of 3+ letters ("mortalidad12,13"), or
# a bracketed list of numbers ("[12]", "[3-5]"). Upper-case names with digits (HbA1c,
# CHA2DS2, SpO2, NaHCO3) are not citations.
_GLUED_CITATION = re.compile(r"(?<=[a-záéíóúñü]{3})\d+(?:\s?[-,]\s?\d+)*(?![\w])")
_BRACKET_CITATION = re.compile(r"\s?\[\d+(?:\s?[-,]\s?\d+)*\]")
_UNIT_SPACE = re.compile(r"(?<=[A-Za-zµμ])\s+/\s*(?=[A-Za-z])|(?<=[A-Za-zµμ])/\s+(?=[A-Za-z])")
# A denominator written as words, right after a unit: "mg por kilogramo (de peso)", "mg
# por kg y hora", "g al día", "mg a la semana", "gotas cada hora". "a la hora" is left
# alone: in Spanish guidelines it means "at one hour" ("glucemia a la hora").
_WORD_DENOMINATOR = re.compile(
    rf"(?P<prev>[^\W\d_]+|%)(?P<denominators>(?:\s+(?:por|cada|y)\s+(?:{_DENOMINATORS})"
    r"(?:\s+de\s+peso)?|\s+(?:al|a\s+la)\s+(?:d[ií]a|semana|mes))+)\b",
    re.IGNORECASE,
)
_DENOMINATOR_WORD = re.compile(
    rf"\s+(?:por|cada|y|al|a\s+la)\s+(?P<unit>{_DENOMINATORS}|d[ií]a|semana|mes)(?:\s+de\s+peso)?",
    re.IGNORECASE,
)
_DAILY = re.compile(r"(?<=[A-Za-zµμ])\s+(?:diari[oa]s?)\b", re.IGNORECASE)
_COMPARISONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b{pattern}\b\s*", re.IGNORECASE), symbol)
    for pattern, symbol in (
        (r"(?:mayor|superior)\s+o\s+igual\s+(?:que|a|de)", "≥ "),
        (r"(?:menor|inferior)\s+o\s+igual\s+(?:que|a|de)", "≤ "),
        (r"(?:al|como|por\s+lo)\s+(?:menos|m[ií]nimo)", "≥ "),
        (r"(?:como|hasta\s+un)\s+m[aá]ximo(?:\s+de)?", "≤ "),
        (r"(?:mayor(?:es)?|superior(?:es)?|m[aá]s)\s+(?:que|de|a)", "> "),
        (r"(?:menor(?:es)?|inferior(?:es)?|menos)\s+(?:que|de|a)", "< "),
    )
]
_WORDED_NUMBER = re.compile(
    r"\b(?P<word>"
    + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
    + r")\b(?=\s+(?:(?:y|a|o|-)\s+(?:\d|"
    + "|".join(re.escape(w) for w in _NUMBER_WORDS if " " not in w)
    + r")\b|(?P<unit>[^\W\d_]+)))",
    re.IGNORECASE,
)

_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_LETTERS = re.compile(r"[^\W\d_]+")
_HEADER_UNIT = re.compile(r"\(\s*([^\W\d_][^\s()]*)\s*\)")
_NUMBER = re.compile(r"(?<![\w.,])(?:[1-9]\d{0,2}(?:\.\d{3})+(?![.,]?\d)|\d+(?:[.,]\d+)?)")
# A unit starts with a letter, and so does each "/" segment: "mL/min/1,73 m²" is mL/min, then 1,73 m².
# A count per volume is written with its "/" first: "500/µL", "150.000/mm3".
_UNIT = re.compile(r"\s?(%|[°º]\s?[cC]\b|mm\s?Hg\b|/?[^\W\d_][^\W_]*(?:/[^\W\d_][^\W_]*)*)")
_ORDINAL = re.compile(r"\.?\s?[ªº°](?!\s?[cC]\b)|\.?[ªº]")
# Between the numbers of a range ("15-20", "35 a <70", "entre 2 y 3") or of a blood
# pressure ("82/50 mmHg"): the first number takes the second's unit.
RANGE_JOIN = re.compile(r"\s*(?:-|a|y|o|hasta|al|/)\s*[<>≤≥]?\s*")


@dataclass(frozen=True, slots=True)
class Quantity:
    value: str
    unit: str | None
    text: str
    start: int = 0
    end: int = 0
    ordinal: bool = False

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: the form words and units are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _value(number: str) -> str:
    if _THOUSANDS.fullmatch(number):  # "1.000", "2.500": Spanish thousands separators
        return number.replace(".", "")
    try:
        return format(Decimal(number.replace(",", ".")).normalize(), "f")
    except InvalidOperation:  # the pattern only matches digits; kept for safety of the gate
        return number


def _unit(raw: str, glued: bool) -> str | None:
    compact = raw.replace("º", "°").replace(" ", "")
    segments = fold(compact).split("/")
    if compact.startswith("/"):  # a count per volume: "/µL", "/mm3"
        return "/" + "/".join(_UNIT_ALIASES.get(segment, segment) for segment in segments[1:])
    if segments[-1] not in _UNIT_ALIASES and segments[-1].rstrip("0123456789") in _UNIT_ALIASES:
        segments[-1] = segments[-1].rstrip("0123456789")  # "3 mg24": a citation glued to the unit
    if segments[0] not in _UNIT_ALIASES or (segments[0] in _GLUED_ONLY and not glued):
        return None
    return "/".join(_UNIT_ALIASES.get(segment, segment) for segment in segments)


def _worded(match: re.Match[str]) -> str:
    unit = match.group("unit")
    if unit is not None and fold(unit) not in UNIT_SPELLINGS:
        return match.group(0)
    return str(_NUMBER_WORDS[fold(match.group("word"))])


def _denominator(match: re.Match[str]) -> str:
    if fold(match.group("prev")) not in _UNIT_ALIASES:
        return match.group(0)  # "glucemia por hora" is not a unit
    units = [m.group("unit") for m in _DENOMINATOR_WORD.finditer(match.group("denominators"))]
    return match.group("prev") + "".join("/" + unit for unit in units)


# Cheap tests that a rewrite can apply: each names what every match of its pattern must
# contain, so a text without it is left as it is without running the pattern (the
# patterns cost tens of microseconds per text). Words are looked for in `text.lower()`;
# the few letters that `re.IGNORECASE` matches to an ASCII letter although `lower()`
# does not map them to it (İ, ı, ſ) turn the shortcut off.
_CASE_ODD = frozenset("İıſ")
_DIGIT = re.compile(r"\d")
_COMPARISON_WORDS: tuple[tuple[str, ...], ...] = (
    ("igual",),
    ("igual",),
    ("menos", "nimo"),
    ("ximo",),
    ("mayor", "superior", "mas", "más"),
    ("menor", "inferior", "menos"),
)
_NUMBER_FIRST_WORDS = frozenset(word.split()[0] for word in _NUMBER_WORDS)


@lru_cache(maxsize=4096)
def normalise_numbers(text: str) -> str:
    """The text with every way of writing a quantity rewritten into one (see the module doc)."""
    text = text.translate(_SUPERSCRIPTS).translate(_DASHES)
    exact = not _CASE_ODD.isdisjoint(text)  # no shortcut: run every pattern
    if exact or "[" in text:
        text = _BRACKET_CITATION.sub("", text)
    if exact or _DIGIT.search(text):
        text = _GLUED_CITATION.sub("", text)
    if exact or "/" in text:
        text = _UNIT_SPACE.sub("/", text)
    if exact or _DENOMINATOR_WORD.search(text):
        text = _WORD_DENOMINATOR.sub(_denominator, text)
    lowered = text.lower()
    if exact or "diari" in lowered:
        text = _DAILY.sub("/día", text)
    for (pattern, symbol), needles in zip(_COMPARISONS, _COMPARISON_WORDS, strict=True):
        if exact or any(needle in lowered for needle in needles):
            text = pattern.sub(symbol, text)
            lowered = text.lower()
    if exact or not _NUMBER_FIRST_WORDS.isdisjoint(_LETTERS.findall(lowered)):
        text = _WORDED_NUMBER.sub(_worded, text)
    return text


def quantities(text: str, *, normalised: bool = False) -> list[Quantity]:
    """Every number in `text` with the unit written right after it (or after its range).

    Offsets refer to `normalise_numbers(text)` (or to `text` itself when it is already
    normalised).
    """
    return list(_quantities(text, normalised))


@lru_cache(maxsize=16384)
def _quantities(text: str, normalised: bool) -> tuple[Quantity, ...]:
    if not normalised:
        text = normalise_numbers(text)
    found: list[tuple[int, int, str, str | None, bool]] = []
    for match in _NUMBER.finditer(text):
        end = match.end()
        unit = None
        ordinal = False
        ordinal_match = _ORDINAL.match(text, end)
        if ordinal_match:
            ordinal, end = True, ordinal_match.end()
        else:
            unit_match = _UNIT.match(text, end)
            if unit_match:
                unit = _unit(unit_match.group(1), glued=unit_match.start(1) == end)
                if unit is not None:
                    end = unit_match.end()
        found.append((match.start(), end, _value(match.group()), unit, ordinal))
    result: list[Quantity] = []
    for i, (start, end, value, unit, ordinal) in enumerate(found):
        if unit is None and not ordinal and i + 1 < len(found):
            next_start, _next_end, _next_value, next_unit, _ = found[i + 1]
            if next_unit is not None and RANGE_JOIN.fullmatch(text, end, next_start):
                unit = next_unit
        result.append(
            Quantity(
                value=value,
                unit=unit,
                text=text[start:end],
                start=start,
                end=end,
                ordinal=ordinal,
            )
        )
    return tuple(result)


def worded_values(text: str) -> set[str]:
    """Values of the numbers written as words anywhere in `text` ("dos de estos criterios")."""
    return {str(_NUMBER_WORDS[word]) for word in _LETTERS.findall(fold(text)) if word in NUMBER_WORDS}


class QuantityIndex:
    """The quantities of some texts, indexed for the question "does this one occur there?".

    In a table flattened into text (a line with "|" cells) a unit is often written once, in
    a header ("FG (mL/min) | ... | ≥ 60") or another cell: there a bare number supports that
    number with any unit the line writes.
    """

    def __init__(self, texts: list[str]) -> None:
        self.with_unit: set[tuple[str, str | None]] = set()
        self.values: set[str] = set()
        self.ordinals: set[str] = set()
        for text in texts:
            for line in normalise_numbers(text).splitlines():
                found = quantities(line, normalised=True)
                for quantity in found:
                    self.with_unit.add((quantity.value, quantity.unit))
                    self.values.add(quantity.value)
                    if quantity.ordinal:
                        self.ordinals.add(quantity.value)
                if "|" in line:
                    units = {q.unit for q in found if q.unit} | _header_units(line)
                    for quantity in found:
                        if quantity.unit is None:
                            self.with_unit.update((quantity.value, unit) for unit in units)
            self.values.update(worded_values(text))

    def __contains__(self, quantity: Quantity) -> bool:
        # A bare number ("menor de 200") is supported by that number with any unit, and an
        # ordinal ("18ª") supports its number with any unit.
        if quantity.unit is None:
            return quantity.value in self.values
        return (quantity.value, quantity.unit) in self.with_unit or quantity.value in self.ordinals


def _header_units(line: str) -> set[str]:
    """Units written as a column header in parentheses: "FG (mL/min)", "Peso (kg)"."""
    units = set()
    for match in _HEADER_UNIT.finditer(line):
        unit = _unit(match.group(1), glued=False)
        if unit is not None:
            units.add(unit)
    return units
