"""Deterministic meaning checks: does a claim say what the sentence it stands on says?

Text is compared as sets of *keys*: one form per content word (the Snowball stem of its
lemma; an abbreviation also stands for the words of its expansion) and one per number
with its unit. A claim is *aligned* with the clause of the context that shares the most
keys with it. On that basis (docs/cards.md, "Meaning"):

- `cited_source_support`: how much of a key point or rubric item its cited source covers;
- `polarity_conflict`: a claim reverses its aligned clause when exactly one of the two
  is negated ("no", "nunca", "contraindicado", "evitar", "desaconseja"…) and the other
  states most of what it negates (two thirds of the negation's scope: the next three
  content words, and "indicado" for "contraindicado").
  Clauses with a restriction or a time limit ("solo si", "salvo", "excepto", "antes de",
  "hasta") or that are a condition ("si…", "cuando…") are not compared: "no se recomienda
  salvo…" and "solo se recomienda si…" say the same thing, and "si no…" describes a case;
- `entity_keys`: the content words around a number (its entity), to tell "apixabán 5 mg"
  from "dabigatrán 5 mg".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aimed_contracts.lexicon import abbreviation_table, is_content, is_term, key, words
from aimed_contracts.quantities import Quantity, fold, normalise_numbers, quantities

_NEGATORS = re.compile(
    r"\b(?:no|nunca|jam[aá]s|tampoco|ning[uú]n|ninguna|contraindicad[oa]s?|contraindica(?:n|r|ci[oó]n|ciones)?"
    r"|evit(?:ar|e|en|arse|ese|ando|a)|desaconsej(?:a|an|ado|ada|ados|adas)|proscrit[oa]s?)\b",
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
    r"|,?\s+(?=(?:si|cuando)\s)"
    r"|\s+\|\s+"
)
# A negation's scope: the content words right after it ("no se recomienda el ácido
# acetilsalicílico" negates recomendar, ácido, acetilsalicílico).
_SCOPE = 3
# A number's entity does not cross a sentence or a table cell (a colon is kept:
# "Dabigatrán: 150 mg").
_ENTITY_BREAK = re.compile(r"(?<!\d)[.;?!](?!\d)|\n|\s\|\s")
# The words a number belongs to: this many content words before it and after it, in its clause.
_ENTITY_BEFORE = 4
_ENTITY_AFTER = 2


def restricted(text: str) -> bool:
    """A clause with an exception or a condition is not compared for polarity."""
    return bool(_RESTRICTIONS.search(text) or _CONDITION.match(text))


def negation_targets(text: str) -> frozenset[str]:
    """Keys of what a clause negates: the next content words after each negator (its scope),
    and for "contraindicado" also "indicado" (its affirmative twin)."""
    targets: set[str] = set()
    for match in _NEGATORS.finditer(text):
        if fold(match.group(0)).startswith("contraindic"):
            targets.add(key("indicar"))
        following = [word for word in words(text[match.end() :])[:6] if is_content(word)]
        targets.update(key(word) for word in following[:_SCOPE])
    return frozenset(targets)


def polarity_conflict(claim: Clause, sentence: Clause) -> bool:
    """Does the claim reverse the sentence? Exactly one side is negated, and the other side
    states most of what it negates (at least two thirds of the negation's scope)."""
    if claim.restricted or sentence.restricted or bool(claim.negated) == bool(sentence.negated):
        return False
    negated, affirmed = (claim, sentence) if claim.negated else (sentence, claim)
    stated = len(negated.negated & affirmed.keys)
    return stated >= max(1, math.ceil(len(negated.negated) * 2 / 3))


def clauses(text: str) -> list[str]:
    """A sentence cut at clause boundaries (punctuation that is not a decimal mark, "pero"…)."""
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part and part.strip()]


def _expansions(word: str, defined: Mapping[str, list[str]]) -> list[str]:
    table = abbreviation_table()
    key_ = word if len(word.replace(".", "")) <= 2 else fold(word)
    return [w for e in (*table.get(key_, ()), *defined.get(key_, ())) for w in words(e)]


def keys(text: str, defined: Mapping[str, list[str]] | None = None, *, units: bool = False) -> frozenset[str]:
    """Content keys of a text: content words' forms and numbers with their units (and, with
    `units`, each unit alone, so a sentence giving the same unit ranks closer)."""
    defined = defined or {}
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


@dataclass(frozen=True)
class Clause:
    text: str
    sentence: str
    keys: frozenset[str]
    negated: frozenset[str]  # what the clause negates (negation_targets)
    restricted: bool


def index_clauses(sentences: Iterable[str], defined: Mapping[str, list[str]]) -> list[Clause]:
    result = []
    for sentence in sentences:
        for part in clauses(sentence):
            result.append(
                Clause(part, sentence, keys(part, defined), negation_targets(part), restricted(part))
            )
    return result


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


@dataclass(frozen=True)
class Placed:
    """A quantity with the words around it (its entity): keys of terms and of other content words."""

    quantity: Quantity
    terms: frozenset[str]
    others: frozenset[str]

    def shared_weight(self, other: Placed) -> int:
        """How strongly two entities agree: a shared term counts 2, another shared word 1."""
        return 2 * len(self.terms & other.terms) + len(self.others & other.others)


def placed_quantities(text: str, defined: Mapping[str, list[str]] | None = None) -> list[Placed]:
    """Each quantity of `text` with its entity: the content words next to it, in its clause,
    not past a neighbouring number ("≥2 mm en varones, ≥1,5 mm en mujeres")."""
    defined = defined or {}
    normalised = normalise_numbers(text)
    found = quantities(normalised, normalised=True)
    result = []
    for i, quantity in enumerate(found):
        start = found[i - 1].end if i else 0
        end = found[i + 1].start if i + 1 < len(found) else len(normalised)
        before = _clause_tail(normalised[start : quantity.start])
        after = _clause_head(normalised[quantity.end : end])
        terms: set[str] = set()
        others: set[str] = set()
        nearby = list(reversed(_content(before)))[:_ENTITY_BEFORE] + _content(after)[:_ENTITY_AFTER]
        for word in nearby:
            for form in (word, *_expansions(word, defined)):
                if is_content(form):
                    (terms if is_term(form) else others).add(key(form))
        result.append(Placed(quantity, frozenset(terms), frozenset(others - terms)))
    return result


def _content(text: str) -> list[str]:
    return [word for word in words(text) if is_content(word)]


def _clause_tail(text: str) -> str:
    parts = _ENTITY_BREAK.split(text)
    return parts[-1] if parts else ""


def _clause_head(text: str) -> str:
    parts = _ENTITY_BREAK.split(text, maxsplit=1)
    head = parts[0] if parts else ""
    # What follows "y"/"o" after a number starts the next item, not this number's entity.
    return re.split(r"\s(?:y|e|o|u)\s", head, maxsplit=1)[0]
