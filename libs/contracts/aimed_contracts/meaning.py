"""Deterministic meaning checks: does a claim say what the sentence it stands on says?

Text is compared as sets of *keys*: one form per content word (the Snowball stem of its
lemma; an abbreviation also stands for the words of its expansion) and one per number
with its unit. A claim is *aligned* with the clause of the context that shares the most
keys with it. On that basis (docs/cards.md, "Meaning"):

- `cited_source_support`: how much of a key point or rubric item its cited source covers;
- `polarity_conflict`: a claim reverses its aligned clause when exactly one of the two
  is negated ("no", "nunca", "contraindicado", "evitar", "desaconseja",
  "descartar"…), the other states most of what it negates (two thirds of the negation's
  scope: the next three content words, and "indicado" for "contraindicado"), and the
  other's whole sentence does not negate the same thing elsewhere (there "sin" counts too:
  "sin superar" agrees with "no superar").
  Clauses with a restriction or a time limit ("solo si", "salvo", "excepto", "antes de",
  "hasta") or that are a condition ("si…", "cuando…") are not compared: "no se recomienda
  salvo…" and "solo se recomienda si…" say the same thing, and "si no…" describes a case;
  so do statements about the patient ("no hay", "no presenta", "sin signos de");
- `entity_keys`: the content words around a number (its entity), to tell "apixabán 5 mg"
  from "dabigatrán 5 mg".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from aimed_contracts.lexicon import abbreviation_table, is_content, is_term, is_verb, key, words
from aimed_contracts.quantities import RANGE_JOIN, Quantity, fold, normalise_numbers, quantities

_NEGATORS = re.compile(
    r"\b(?:no|nunca|jam[aá]s|tampoco|ning[uú]n|ninguna|contraindic\w*|evit\w*|desaconsej\w*"
    r"|proscri\w*|descart\w*|rechaz\w*)\b",
    re.IGNORECASE,
)
_WEAK_NEGATORS = re.compile(_NEGATORS.pattern.replace(r"\b(?:no|", r"\b(?:no|sin|", 1), re.IGNORECASE)
# "No hay", "no presenta", "sin signos de": a statement about the case, not a recommendation.
_EXISTENTIAL = re.compile(
    r"\b(?:no\s+(?:hay|presenta|presentan|tiene|tienen|existe|existen|cumple|cumplen|muestra|muestran"
    r"|aparece|aparecen|refiere|est[aá]n?\s+en)|sin\s+(?:signos|datos|evidencia|criterios))\b",
    re.IGNORECASE,
)
# A restriction or a time condition turns a negation into a rule with an exception
# ("no se recomienda salvo…" = "solo se recomienda si…"; "no iniciar hasta…" = "antes de
# iniciar, comprobar…"): such clauses are not compared.
_RESTRICTIONS = re.compile(
    r"\b(?:s[oó]lo|solamente|[uú]nicamente|salvo|excepto|a\s+menos\s+que|sino|antes\s+de|hasta)\b",
    re.IGNORECASE,
)
# A condition ("si…", "cuando…", "en caso de…") describes a case, not a recommendation.
_CONDITION = re.compile(r"\s*(?:si|cuando|en\s+caso\s+de|ante)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(
    r"(?<!\d)[.;:?!](?!\d)|\n|,\s+(?=(?:pero|aunque|mientras|sin\s+embargo|salvo|excepto|sino)\b)"
    r"|,?\s+(?=(?:si|cuando)\s)|,?\s+y\s+(?=(?:se|no|nunca|debe|deben)\b)"
    r"|\s+\|\s+"
)
# A negation's scope: the content words right after it ("no se recomienda el ácido
# acetilsalicílico" negates recomendar, ácido, acetilsalicílico).
_SCOPE = 3
# A number's entity does not cross a sentence (a colon and a table cell are kept:
# "Dabigatrán: 150 mg", "Toxicidad | > 1,5 mEq/L").
_ENTITY_BREAK = re.compile(r"(?<!\d)[.;?!](?!\d)|\n")
# The words a number belongs to: this many content words before it and after it, in its clause.
_ENTITY_BEFORE = 4
_ENTITY_AFTER = 2


def restricted(text: str) -> bool:
    """A clause with an exception, a condition or a statement about the case is not compared."""
    return bool(_RESTRICTIONS.search(text) or _CONDITION.match(text) or _EXISTENTIAL.search(text))


@lru_cache(maxsize=16384)
def negation_targets(text: str, *, weak: bool = False) -> frozenset[str]:
    """Keys of what a clause negates: the next content words after each negator (its scope),
    and for "contraindicado" also "indicado" (its affirmative twin). With `weak`, "sin" counts
    too: "sin superar 1000 mg" agrees with "no superar 1000 mg", but "aparece sin enfermedad
    previa" does not reverse "aparece sobre una enfermedad previa", so "sin" never makes a
    clause negated on its own."""
    targets: set[str] = set()
    for match in (_WEAK_NEGATORS if weak else _NEGATORS).finditer(text):
        if fold(match.group(0)).startswith("contraindic"):
            targets.add(key("indicar"))
        after = words(text[match.end() :])[:6]
        if fold(match.group(0)) == "no" and after and _names_a_kind(after[0]):
            continue  # "no complicada", "no valvular": part of a name, not a negated statement
        following = [word for word in after if is_content(word)]
        targets.update(key(word) for word in following[:_SCOPE])
    return frozenset(targets)


def _names_a_kind(word: str) -> bool:
    """Is the word after "no" an adjective ("no complicada") rather than a verb ("no repetir",
    "no usar", "no se")? Infinitives in -er/-ir count as verbs even where the lemmatiser
    misses a stem change ("repetir"/"repite")."""
    return is_content(word) and not is_verb(word) and not fold(word).endswith(("er", "ir"))


def polarity_conflict(claim: Clause, sentence: Clause) -> bool:
    """Does the claim reverse the sentence? Exactly one side is negated, the other side
    states most of what it negates (at least two thirds of the negation's scope), and the
    other side's whole sentence does not negate it elsewhere ("se recomienda X...; no se
    recomienda iniciarla si..." agrees with "no se recomienda empezar X")."""
    if claim.restricted or sentence.restricted or bool(claim.negated) == bool(sentence.negated):
        return False
    negated, affirmed = (claim, sentence) if claim.negated else (sentence, claim)
    if not negated.negated.isdisjoint(negation_targets(affirmed.sentence, weak=True)):
        return False
    stated = len(negated.negated & affirmed.keys)
    return stated >= max(1, math.ceil(len(negated.negated) * 2 / 3))


def option_reversed(option: Clause, candidates: Iterable[Clause]) -> bool:
    """Is an MCQ option (a short phrase) reversed by a source clause: exactly one of the two
    is negated and the other states something it negates? Options are too short for the
    two-thirds rule and often carry a time limit ("hasta que se resuelva"), so neither
    applies here."""
    for clause in candidates:
        if clause.restricted or bool(option.negated) == bool(clause.negated):
            continue
        negated, affirmed = (option, clause) if option.negated else (clause, option)
        if not negated.negated.isdisjoint(affirmed.keys):
            return True
    return False


def clauses(text: str) -> list[str]:
    """A sentence cut at clause boundaries (punctuation that is not a decimal mark, "pero"…)."""
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part and part.strip()]


# Abbreviations a context defines ("fibrilación auricular (FA)"), frozen so results cache.
Defined = tuple[tuple[str, tuple[str, ...]], ...]


def freeze(defined: Mapping[str, Iterable[str]]) -> Defined:
    """Abbreviation -> expansions, keyed as `_expansions` looks them up (folded beyond 2 letters)."""
    merged: dict[str, list[str]] = {}
    for abbreviation, expansions in defined.items():
        merged.setdefault(_abbreviation_key(abbreviation), []).extend(expansions)
    return tuple(sorted((k, tuple(v)) for k, v in merged.items()))


def _abbreviation_key(word: str) -> str:
    return word if len(word.replace(".", "")) <= 2 else fold(word)


@lru_cache(maxsize=64)
def _defined_map(defined: Defined) -> dict[str, tuple[str, ...]]:
    return dict(defined)


@lru_cache(maxsize=65536)
def _expansions(word: str, defined: Defined) -> tuple[str, ...]:
    table = abbreviation_table()
    key_ = _abbreviation_key(word)
    return tuple(w for e in (*table.get(key_, ()), *_defined_map(defined).get(key_, ())) for w in words(e))


@lru_cache(maxsize=16384)
def keys(text: str, defined: Defined = (), *, units: bool = False) -> frozenset[str]:
    """Content keys of a text: content words' forms and numbers with their units (and, with
    `units`, each unit alone, so a sentence giving the same unit ranks closer)."""
    found: set[str] = set()
    for word in words(text):
        if not is_content(word):
            continue
        found.add(key(word))
        for expansion in _expansions(word, defined):
            if is_content(expansion):
                found.add(key(expansion))
    for quantity in quantities(text):
        found.add(f"#{quantity.value}/{quantity.unit or ''}")
        if units:
            found.add(f"#/{quantity.unit or ''}")
    return frozenset(found)


def coverage(claim: frozenset[str], sentence: frozenset[str]) -> float:
    """Share of the claim's keys the sentence has."""
    return len(claim & sentence) / len(claim) if claim else 1.0


@lru_cache(maxsize=4096)
def _clauses_of(sentence: str, defined: Defined) -> tuple[Clause, ...]:
    return tuple(
        Clause(part, sentence, keys(part, defined), negation_targets(part), restricted(part))
        for part in clauses(sentence)
    )


@dataclass(frozen=True)
class Clause:
    text: str
    sentence: str
    keys: frozenset[str]
    negated: frozenset[str]  # what the clause negates (negation_targets)
    restricted: bool


def index_clauses(sentences: Iterable[str], defined: Defined) -> list[Clause]:
    return [clause for sentence in sentences for clause in _clauses_of(sentence, defined)]


def best_clause(claim_keys: frozenset[str], candidates: Iterable[Clause]) -> tuple[Clause | None, int]:
    """The candidate sharing most keys with the claim (ties: the one with fewest extra keys)."""
    best: Clause | None = None
    best_score = (0, 0)
    for clause in candidates:
        shared = len(claim_keys & clause.keys)
        score = (shared, -len(clause.keys - claim_keys))
        if shared and (best is None or score > best_score):
            best, best_score = clause, score
    return best, best_score[0]


# How a drug is given is not what it is: a route next to a number names no entity.
_ROUTES = ("iv", "ev", "vo", "sc", "im", "intravenoso", "endovenoso", "oral", "subcutáneo", "intramuscular")


@lru_cache(maxsize=1)
def route_keys() -> frozenset[str]:
    return frozenset(key(word) for word in _ROUTES)


@dataclass(frozen=True)
class Placed:
    """A quantity with the words around it (its entity): keys of terms and of other content words."""

    quantity: Quantity
    terms: frozenset[str]
    others: frozenset[str]

    def shared_weight(self, other: Placed, ignore: frozenset[str] = frozenset()) -> int:
        """How strongly two entities agree: a shared term counts 2, another shared word 1."""
        return 2 * len((self.terms & other.terms) - ignore) + len((self.others & other.others) - ignore)


@lru_cache(maxsize=4096)
def placed_quantities(text: str, defined: Defined = ()) -> tuple[Placed, ...]:
    """Each quantity of `text` with its entity: the content words next to it, in its clause,
    not past a neighbouring number ("≥2 mm en varones, ≥1,5 mm en mujeres"). The numbers of
    a range ("0,6–0,8 mEq/L en mantenimiento") share one entity."""
    normalised = normalise_numbers(text)
    found = quantities(normalised, normalised=True)
    groups: list[list[int]] = []
    for i, quantity in enumerate(found):
        if i and RANGE_JOIN.fullmatch(normalised, found[i - 1].end, quantity.start):
            groups[-1].append(i)
        else:
            groups.append([i])
    result: list[Placed] = []
    for group in groups:
        first, last = found[group[0]], found[group[-1]]
        start = found[group[0] - 1].end if group[0] else 0
        end = found[group[-1] + 1].start if group[-1] + 1 < len(found) else len(normalised)
        # Words between two numbers belong to the nearer one: the gap is cut at its last
        # comma or semicolon ("100 mg iv en bolo, seguida de 50 mg"), else in half. A table
        # cell is no cut: the row's label is the entity ("Dopamina | 5–20 mcg/kg/min").
        before = _clause_tail(
            _gap_right(normalised[start : first.start]) if group[0] else normalised[: first.start]
        )
        after = _clause_head(
            _gap_left(normalised[last.end : end]) if end < len(normalised) else normalised[last.end :]
        )
        terms: set[str] = set()
        others: set[str] = set()
        nearby = list(reversed(_content(before)))[:_ENTITY_BEFORE] + _content(after)[:_ENTITY_AFTER]
        for word in nearby:
            for form in (word, *_expansions(word, defined)):
                if is_content(form):
                    (terms if is_term(form) else others).add(key(form))
        entity_terms, entity_others = frozenset(terms), frozenset(others - terms)
        result.extend(Placed(found[i], entity_terms, entity_others) for i in group)
    return tuple(result)


_GAP_CUT = re.compile(r",|;")
_SPACE = re.compile(r"\s")
_NEXT_ITEM = re.compile(r"\s(?:y|e|o|u)\s")


def _gap_cut(gap: str) -> int:
    cuts = list(_GAP_CUT.finditer(gap))
    if cuts:
        return cuts[-1].end()
    spaces = [m.start() for m in _SPACE.finditer(gap)]
    return spaces[len(spaces) // 2] if spaces else len(gap)


def _gap_right(gap: str) -> str:
    if _ENTITY_BREAK.search(gap):
        return _clause_tail(gap)
    return gap[_gap_cut(gap) :]


def _gap_left(gap: str) -> str:
    if _ENTITY_BREAK.search(gap):
        return _clause_head(gap)
    cuts = list(_GAP_CUT.finditer(gap))
    return gap[: cuts[0].start()] if cuts else gap[: _gap_cut(gap)]


def _content(text: str) -> list[str]:
    return [word for word in words(text) if is_content(word)]


def _clause_tail(text: str) -> str:
    parts = _ENTITY_BREAK.split(text)
    return parts[-1] if parts else ""


def _clause_head(text: str) -> str:
    parts = _ENTITY_BREAK.split(text, maxsplit=1)
    head = parts[0] if parts else ""
    # What follows "y"/"o" after a number starts the next item, not this number's entity.
    return _NEXT_ITEM.split(head, maxsplit=1)[0]
