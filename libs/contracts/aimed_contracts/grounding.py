"""The grounding gate: is a card well-formed, and does it claim only what its context says?

`check_card(card, context, topic=...)` never raises on a bad card: every problem becomes a
`GroundingIssue` with its `code` (the rule), `field` (a JSON path: `key_points[2].text`),
`message` (English, for developers) and, for the learner's warning panel, `message_es`
(Spanish), `claim` (the claim's text), `evidence` (the offending word or value) and
`closest_sentence` (the context sentence the claim aligns with best). Used by the
generator on every card, by `POST /v1/validate` and by the training-data validator. It
is a pure function of card, context and topic; what it learns about a context (its
words, numbers, sentences) is cached per context, and language resources load once
per process. Issue codes (docs/cards.md explains each):

- structure: `schema_invalid`, `level_kind_mismatch`, `answer_index_out_of_range`,
  `rationale_count_mismatch`, `source_index_out_of_range`;
- facts: `source_not_in_context`, `number_not_in_context`, `unsupported_term`;
- meaning: `claim_not_in_cited_source`, `polarity_mismatch`, `value_entity_mismatch`,
  `key_not_best_supported`;
- item writing: `duplicate_options`, `forbidden_option`, `question_not_a_question`.

Claims are the fields that state medical facts: summary, key point texts, red flags,
the correct option, explanation, model answer and rubric items. The vignette (a made-up
patient), the question and the distractors are exempt from the number and term checks;
the vignette's values and words may recur in the explanation, the correct option, the model
answer and the rubric, and an option rationale may cite the context, the options or the vignette.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property, lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from aimed_contracts.cards import BattleCard, DrillMCQ, DrillOpen, parse_card, structure_problems
from aimed_contracts.lexicon import Vocabulary, defined_abbreviations, designated_names, is_term, lemma, words
from aimed_contracts.meaning import (
    Clause,
    Placed,
    best_clause,
    clauses,
    coverage,
    freeze,
    index_clauses,
    keys,
    option_reversed,
    placed_quantities,
    polarity_conflict,
    route_keys,
)
from aimed_contracts.quantities import Quantity, QuantityIndex, fold, quantities
from aimed_contracts.sentences import split_sentences

IssueCode = Literal[
    "schema_invalid",
    "level_kind_mismatch",
    "answer_index_out_of_range",
    "rationale_count_mismatch",
    "source_index_out_of_range",
    "source_not_in_context",
    "number_not_in_context",
    "unsupported_term",
    "claim_not_in_cited_source",
    "polarity_mismatch",
    "value_entity_mismatch",
    "key_not_best_supported",
    "duplicate_options",
    "forbidden_option",
    "question_not_a_question",
    # The optional model judge (aimed_contracts.judge): a verdict, or no usable answer.
    "judge_contradicted",
    "judge_not_in_context",
    "judge_unavailable",
]

# What the learner reads in the warning panel, per rule; {evidence} is the word or value.
MESSAGES_ES: dict[str, str] = {
    "schema_invalid": "La tarjeta no tiene el formato esperado ({field}).",
    "level_kind_mismatch": "El nivel de la tarjeta no corresponde a su tipo de pregunta.",
    "answer_index_out_of_range": "La respuesta marcada como correcta no es ninguna de las opciones.",
    "rationale_count_mismatch": "No hay exactamente una justificación por opción.",
    "source_index_out_of_range": "Esta afirmación cita una fuente que la tarjeta no incluye.",
    "source_not_in_context": "Esta fuente no es una copia literal del texto de la guía.",
    "number_not_in_context": "La cifra «{evidence}» no aparece en la guía.",
    "unsupported_term": (
        "«{evidence}» no aparece en la guía: puede ser un fármaco, prueba o hallazgo inventado."
    ),
    "claim_not_in_cited_source": "La frase de la guía que cita esta afirmación no la respalda.",
    "polarity_mismatch": (
        "Esta afirmación dice lo contrario que la guía (una negación o contraindicación invertida)."
    ),
    "value_entity_mismatch": "La cifra «{evidence}» está en la guía, pero referida a otra cosa.",
    "key_not_best_supported": "La opción marcada como correcta no es la que mejor respaldan las fuentes.",
    "judge_contradicted": "La revisión automática indica que esta afirmación contradice la guía.",
    "judge_not_in_context": "La revisión automática no encuentra esta afirmación en la guía.",
    "judge_unavailable": "No se pudo completar la revisión automática de esta afirmación.",
    "duplicate_options": "Hay dos opciones iguales.",
    "forbidden_option": "«Todas/ninguna de las anteriores» no es una opción válida.",
    "question_not_a_question": "El enunciado no es una pregunta (ni una consigna, en el nivel 2).",
}


class GroundingIssue(BaseModel):
    code: IssueCode
    field: str
    message: str
    message_es: str | None = None
    claim: str | None = None
    evidence: str | None = None
    closest_sentence: str | None = None


class GroundingReport(BaseModel):
    valid: bool
    kind: str | None
    issues: list[GroundingIssue]
    sources_checked: int
    numbers_checked: int
    terms_checked: int

    @property
    def codes(self) -> set[str]:
        return {issue.code for issue in self.issues}


ContextInput = str | Sequence[str | Mapping[str, Any]]


def _issue(
    code: IssueCode,
    field: str,
    message: str,
    *,
    claim: str | None = None,
    evidence: str | None = None,
    closest_sentence: str | None = None,
) -> GroundingIssue:
    message_es = MESSAGES_ES[code].format(evidence=evidence or "", field=field)
    return GroundingIssue(
        code=code,
        field=field,
        message=message,
        message_es=message_es,
        claim=_excerpt(claim, 300) if claim else None,
        evidence=evidence,
        closest_sentence=closest_sentence,
    )


_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‹": "'",
        "›": "'",
        "´": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "−": "-",
    }
)
_SPACE = re.compile(r"\s+")
_FORBIDDEN_OPTION = re.compile(
    r"\b(?:todas|todos|ninguna|ninguno)\s+(?:de\s+)?(?:las|los)\s+(?:anteriores|previas|previos|demas)\b"
    r"|\b(?:todas|ninguna)\s+(?:son|es)\s+correctas?\b"
)
_OPTION_TRIM = re.compile(r"^[\s\W]+|[\s\W]+$")


@lru_cache(maxsize=4096)
def normalise_for_match(text: str) -> str:
    """Whitespace, quotes, dashes and case normalised: how sources are found in the context."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


def _context_texts(context: ContextInput) -> list[str]:
    if isinstance(context, str):
        return [context]
    texts = []
    for passage in context:
        text = passage.get("text") if isinstance(passage, Mapping) else passage
        if isinstance(text, str):
            texts.append(text)
    return texts


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _schema_issues(data: Any, structural_fields: set[str]) -> list[GroundingIssue]:
    try:
        parse_card(data)
    except ValidationError as error:
        issues = []
        kind = data.get("kind") if isinstance(data, Mapping) else None
        for detail in error.errors():
            if detail["type"] == "card_incoherent":
                continue  # reported rule by rule by structure_problems
            loc = list(detail["loc"])
            if loc and loc[0] == kind:
                loc = loc[1:]  # the discriminated union prefixes the kind's tag
            field = _path(loc) or ("kind" if detail["type"].startswith("union_tag") else "$")
            if field in structural_fields:
                continue
            issues.append(_issue("schema_invalid", field, detail["msg"]))
        return issues
    return []


def _text_at(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _list_at(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _excerpt(text: str, limit: int = 80) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _ContextIndex:
    """What the gate knows about one context (and topic); built once per context."""

    def __init__(self, texts: tuple[str, ...], topic: str) -> None:
        self.texts = texts
        self.haystack = normalise_for_match("\n".join(texts))
        self.quantities = QuantityIndex(list(texts))
        self.vocabulary = Vocabulary([*texts, topic])
        self.topic_keys = keys(topic)
        self.designated = {name for text in (*texts, topic) for name in designated_names(text)}
        defined: dict[str, list[str]] = {}
        for text in texts:
            for abbreviation, expansion in defined_abbreviations(text):
                defined.setdefault(abbreviation, []).append(expansion)
        self.defined = freeze(defined)

    @cached_property
    def sentences(self) -> list[str]:
        return [sentence for text in self.texts for sentence in split_sentences(text)]

    @cached_property
    def clauses(self) -> list[Clause]:
        return index_clauses(self.sentences, self.defined)

    @cached_property
    def sentence_keys(self) -> list[tuple[str, frozenset[str]]]:
        return [(sentence, keys(sentence, self.defined)) for sentence in self.sentences]

    @cached_property
    def sentence_unit_keys(self) -> list[tuple[str, frozenset[str]]]:
        return [(sentence, keys(sentence, self.defined, units=True)) for sentence in self.sentences]

    @cached_property
    def placed(self) -> list[Placed]:
        return [placed for text in self.texts for placed in placed_quantities(text, self.defined)]

    @cached_property
    def common_entity_keys(self) -> frozenset[str]:
        """Words next to many of the context's numbers, and routes ("iv"): they name no entity."""
        counts = Counter(k for placed in set(self.placed) for k in placed.terms | placed.others)
        limit = max(2, len(self.placed) // 4)
        return frozenset(k for k, n in counts.items() if n > limit) | route_keys()

    def prepare(self) -> None:
        """Build every part a card may need now rather than on the first card that needs it."""
        for part in (
            "sentences",
            "clauses",
            "sentence_keys",
            "sentence_unit_keys",
            "placed",
            "common_entity_keys",
        ):
            getattr(self, part)

    def with_header(self, source: str) -> str:
        """A list item with the sentence that introduces its list ("…alguno de los
        siguientes:" + "• papiledema"): a bullet means nothing without its lead-in."""
        wanted = normalise_for_match(source)
        for i, sentence in enumerate(self.sentences):
            if normalise_for_match(sentence) != wanted:
                continue
            for previous in reversed(self.sentences[:i]):
                if previous.rstrip().endswith(":"):
                    return previous + " " + source
                if not _BULLET.match(previous):
                    break
            break
        return source

    def closest_sentence(self, text: str) -> str | None:
        claim_keys = keys(text, self.defined, units=True)
        best, shared = None, 0
        for sentence, sentence_keys in self.sentence_unit_keys:
            overlap = len(claim_keys & sentence_keys)
            if overlap > shared:
                best, shared = sentence, overlap
        return best


@lru_cache(maxsize=64)
def _context_index(texts: tuple[str, ...], topic: str) -> _ContextIndex:
    return _ContextIndex(texts, topic)


def prepare_context(context: ContextInput, *, topic: str | None = None) -> None:
    """Learn a context ahead of its first card: its words (lemmas, stems, frequencies), its
    numbers, its sentences and their clauses, cached as `check_card` caches them (the 64
    contexts used last). A context the gate has not seen costs its first card several
    milliseconds more than any later card; a caller that knows the context before the card
    exists (the generator, while the model writes) can pay that here. Same arguments as
    `check_card`; never needed for a correct result."""
    _context_index(tuple(_context_texts(context)), topic or "").prepare()


@dataclass
class _Claim:
    field: str
    text: str
    role: Literal[
        "summary", "key_point", "red_flag", "correct_option", "explanation", "model_answer", "rubric"
    ]
    cited: int | None = None
    # Texts besides the context whose numbers the claim may repeat (the vignette).
    also: list[str] = dataclass_field(default_factory=list)


def _claims(data: Mapping[str, Any]) -> Iterator[_Claim]:
    """Every claim present in the card, whatever else is broken."""
    kind = data.get("kind")
    vignette = [v] if (v := _text_at(data, "vignette")) is not None else []
    if kind == "battlecard":
        if (summary := _text_at(data, "summary")) is not None:
            yield _Claim("summary", summary, "summary")
        for i, point in enumerate(_list_at(data, "key_points")):
            if isinstance(point, Mapping) and isinstance(point.get("text"), str):
                cited = point.get("source")
                yield _Claim(f"key_points[{i}].text", point["text"], "key_point", _index(cited))
        for i, flag in enumerate(_list_at(data, "red_flags")):
            if isinstance(flag, str):
                yield _Claim(f"red_flags[{i}]", flag, "red_flag")
    elif kind == "drill_mcq":
        options = _list_at(data, "options")
        answer = data.get("answer_index")
        if isinstance(answer, int) and 0 <= answer < len(options) and isinstance(options[answer], str):
            yield _Claim(f"options[{answer}]", options[answer], "correct_option", also=vignette)
        if (explanation := _text_at(data, "explanation")) is not None:
            yield _Claim("explanation", explanation, "explanation", also=vignette)
    elif kind == "drill_open":
        if (answer_text := _text_at(data, "model_answer")) is not None:
            yield _Claim("model_answer", answer_text, "model_answer", also=vignette)
        for i, item in enumerate(_list_at(data, "rubric")):
            if isinstance(item, Mapping) and isinstance(item.get("item"), str):
                cited = item.get("source")
                yield _Claim(f"rubric[{i}].item", item["item"], "rubric", _index(cited), also=vignette)


def _index(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_BULLET = re.compile(r"\s*[•·*\-–—▪◦]")

# A level-2 prompt may be an instruction: its first word is a verb ("Describe", "Enumera",
# "Justifique", "Indica"), which simplemma lemmatises to an infinitive.
_FIRST_WORD = re.compile(r"[\s¿¡\"'«(]*([^\W\d_]+)")
_INFINITIVE = re.compile(r"(?:ar|er|ir)")

# Meaning thresholds (docs/cards.md, "Meaning"), set on the worked examples and the
# training set's gold cards, never on the labeled corpus.
_CITED_MIN_COVERAGE = 0.5  # a cited source covering less than this of the claim...
_CITED_BETTER_BY = 0.3  # ...while another context sentence covers this much more
_ALIGN_MIN_COVERAGE = 0.6  # a clause compared for polarity shares this much of the claim
_ALIGN_MIN_SHARED = 2
_KEY_MARGIN = 0.34  # a distractor better supported than the key by this much
_ENTITY_MIN_WEIGHT = 2  # a shared term names the same entity


class _Vignette:
    """What of the vignette a claim may repeat: its words, designated names and numbers
    (no vignette: supports nothing). Each part is built when first asked for."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.designated = {name for text in texts for name in designated_names(text)}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(self.texts)

    @cached_property
    def quantities(self) -> QuantityIndex:
        return QuantityIndex(self.texts)

    def supports(self, word: str) -> bool:
        return bool(self.texts) and self.vocabulary.supports(word)


class _Gate:
    def __init__(self, data: Mapping[str, Any], context: _ContextIndex) -> None:
        self.data = data
        self.context = context
        self.issues: list[GroundingIssue] = []
        self.sources_checked = 0
        self.numbers_checked = 0
        self.terms_checked = 0
        self.sources = [s if isinstance(s, str) else "" for s in _list_at(data, "sources")]
        self._vignettes: dict[tuple[str, ...], _Vignette] = {}

    def issue(
        self,
        code: IssueCode,
        field: str,
        message: str,
        *,
        claim: str | None = None,
        evidence: str | None = None,
        closest: str | None = None,
    ) -> None:
        if closest is None and claim is not None:
            closest = self.context.closest_sentence(claim)
        self.issues.append(
            _issue(code, field, message, claim=claim, evidence=evidence, closest_sentence=closest)
        )

    # -- facts ---------------------------------------------------------------------

    def check_sources(self) -> None:
        for i, source in enumerate(_list_at(self.data, "sources")):
            if not isinstance(source, str):
                continue
            self.sources_checked += 1
            if normalise_for_match(source) not in self.context.haystack:
                self.issue(
                    "source_not_in_context",
                    f"sources[{i}]",
                    f"“{_excerpt(source)}” is not in the context; copy whole sentences from it verbatim",
                    claim=source,
                    evidence=_excerpt(source),
                )

    def check_numbers(self, claim: _Claim) -> None:
        also = self._index_with(claim.also)
        for quantity in quantities(claim.text):
            self.numbers_checked += 1
            if quantity not in self.context.quantities and (also is None or quantity not in also):
                where = "the context or the vignette" if claim.also else "the context"
                self.issue(
                    "number_not_in_context",
                    claim.field,
                    f"“{quantity}” does not occur in {where}; every number and unit must be copied from it",
                    claim=claim.text,
                    evidence=quantity.text,
                )

    def check_terms(self, claim: _Claim) -> None:
        field, text = claim.field, claim.text
        reported: set[str] = set()
        for name in designated_names(text):
            self.terms_checked += 1
            if (
                name not in self.context.designated
                and name not in reported
                and name not in self._vignette(claim.also).designated
            ):
                reported.add(name)
                self.issue(
                    "unsupported_term",
                    field,
                    f"“{name}” is not in the context; a drug, test or finding the context never "
                    "names is an invention: use the context's own words",
                    claim=text,
                    evidence=name,
                )
        for word in words(text):
            if not is_term(word):
                continue
            self.terms_checked += 1
            folded = fold(word)
            if (
                folded not in reported
                and not self.context.vocabulary.supports(word)
                and not self._vignette(claim.also).supports(word)
            ):
                reported.add(folded)
                self.issue(
                    "unsupported_term",
                    field,
                    f"“{word}” is not in the context; a drug, test or finding the context never "
                    "names is an invention: use the context's own words",
                    claim=text,
                    evidence=word,
                )

    def _vignette(self, also: list[str]) -> _Vignette:
        """The texts the claim may repeat besides the context (the vignette): a claim that
        reasons about the patient may name what the vignette names ("mareo al levantarse",
        "creatinina en ascenso") and repeat its values. One per vignette and card."""
        cache_key = tuple(also)
        if cache_key not in self._vignettes:
            self._vignettes[cache_key] = _Vignette(also)
        return self._vignettes[cache_key]

    def _index_with(self, also: list[str]) -> QuantityIndex | None:
        """The numbers of texts the claim may repeat besides the context (the vignette)."""
        return self._vignette(also).quantities if also else None

    # -- meaning -------------------------------------------------------------------

    def check_cited_source(self, claim: _Claim) -> None:
        if claim.cited is None or not 0 <= claim.cited < len(self.sources):
            return
        source = self.sources[claim.cited]
        if normalise_for_match(source) not in self.context.haystack:
            return  # reported as source_not_in_context
        vignette_keys = keys(" ".join(claim.also), self.context.defined) if claim.also else frozenset()
        claim_keys = keys(claim.text, self.context.defined) - self.context.topic_keys - vignette_keys
        if not claim_keys:
            return
        source_keys = keys(source, self.context.defined)
        # A list item is read with its lead-in, provided the item itself says part of the claim.
        if not keys(claim.text, self.context.defined).isdisjoint(source_keys) and not any(
            coverage(k, source_keys) >= _CITED_MIN_COVERAGE
            for k in (keys(p, self.context.defined) for p in clauses(claim.text))
            if len(k) >= 2
        ):
            source_keys = keys(self.context.with_header(source), self.context.defined)
        # A claim may join its cited sentence with another one: the citation holds when
        # one clause of the claim is mostly the cited sentence's.
        parts = [k for k in (keys(p, self.context.defined) for p in clauses(claim.text)) if len(k) >= 2]
        if any(coverage(part, source_keys) >= _CITED_MIN_COVERAGE for part in parts):
            return
        cited = coverage(claim_keys, source_keys)
        if cited >= _CITED_MIN_COVERAGE:
            return  # the context's other sentences matter only when the cited one falls short
        best = max((coverage(claim_keys, k) for _s, k in self.context.sentence_keys), default=0.0)
        if best >= cited + _CITED_BETTER_BY:
            self.issue(
                "claim_not_in_cited_source",
                claim.field,
                f"the source this claim cites (sources[{claim.cited}]) covers {cited:.0%} of its content "
                f"words; another sentence of the context covers {best:.0%}: cite the sentence that says it",
                claim=claim.text,
                evidence=_excerpt(source),
            )

    def _candidates(self, claim: _Claim) -> list[Clause]:
        """The clauses a claim is compared with: its cited source's, else the card's sources'
        (verbatim sentences of the context the card says it stands on), else the context's."""
        if claim.cited is not None and 0 <= claim.cited < len(self.sources):
            source = self.sources[claim.cited]
            if normalise_for_match(source) in self.context.haystack:
                return index_clauses([source], self.context.defined)
        verbatim = [s for s in self.sources if normalise_for_match(s) in self.context.haystack]
        return index_clauses(verbatim, self.context.defined) if verbatim else self.context.clauses

    def check_polarity(self, claim: _Claim) -> None:
        candidates = self._candidates(claim)
        for part in index_clauses([claim.text], self.context.defined):
            if len(part.keys) < _ALIGN_MIN_SHARED:
                continue
            aligned, shared = best_clause(part.keys, candidates)
            if aligned is None or shared < _ALIGN_MIN_SHARED:
                continue
            if coverage(part.keys, aligned.keys) < _ALIGN_MIN_COVERAGE:
                continue
            if polarity_conflict(part, aligned):
                self.issue(
                    "polarity_mismatch",
                    claim.field,
                    f"“{_excerpt(part.text)}” reverses the context, which says “{_excerpt(aligned.text)}”",
                    claim=claim.text,
                    evidence=part.text,
                    closest=aligned.sentence,
                )
                return

    def check_values(self, claim: _Claim) -> None:
        """A number of the context must stay with the entity the context gives it."""
        vignette = self._index_with(claim.also)
        placed_context = self.context.placed
        for placed in placed_quantities(claim.text, self.context.defined):
            quantity = placed.quantity
            if quantity.unit is None or quantity not in self.context.quantities:
                continue
            if vignette is not None and quantity in vignette:
                continue
            same_unit = [p for p in placed_context if p.quantity.unit == quantity.unit]
            own = [p for p in same_unit if _same(p.quantity, quantity)]
            # Only a value whose own places name their entity can be said to have moved.
            common = self.context.common_entity_keys
            if (
                not placed.terms - common
                or not own
                or any(placed.shared_weight(p, common) for p in own)
                or not all(p.terms - common for p in own)
            ):
                continue
            # The value's own places share nothing with the claim's entity; is the entity
            # (a term: a drug, test, finding) the one another value of the same unit has?
            weight, where = max(
                ((2 * len(placed.terms & p.terms), p) for p in same_unit if not _same(p.quantity, quantity)),
                default=(0, None),
                key=lambda pair: pair[0],
            )
            if where is not None and weight >= _ENTITY_MIN_WEIGHT:
                self.issue(
                    "value_entity_mismatch",
                    claim.field,
                    f"“{quantity}” belongs to something else in the context; there, this entity has "
                    f"“{where.quantity}”",
                    claim=claim.text,
                    evidence=quantity.text,
                )
                return

    def check_key(self) -> None:
        options = _list_at(self.data, "options")
        answer = self.data.get("answer_index")
        if not (isinstance(answer, int) and 0 <= answer < len(options)) or not all(
            isinstance(o, str) for o in options
        ):
            return
        sources = [s for s in self.sources if normalise_for_match(s) in self.context.haystack]
        if not sources:
            return
        candidates = index_clauses(sources, self.context.defined)
        support = [self._option_support(option, sources, candidates) for option in options]
        best_other = max(score for i, score in enumerate(support) if i != answer)
        if best_other >= support[answer] + _KEY_MARGIN:
            self.issue(
                "key_not_best_supported",
                "answer_index",
                f"the keyed option is supported {support[answer]:.0%} by the card's sources, another option "
                f"{best_other:.0%}; the key must be the option the sources support best",
                claim=options[answer],
                evidence=options[answer],
            )

    def _option_support(self, option: str, sources: list[str], candidates: list[Clause]) -> float:
        """Share of the option's content the best source covers; 0 if a source reverses it."""
        # The topic's words count here: every option may use them, and a short key may be
        # little else ("Mantenerlo durante la crisis").
        option_keys = keys(option, self.context.defined)
        if not option_keys:
            return 0.0
        if any(option_reversed(part, candidates) for part in index_clauses([option], self.context.defined)):
            return 0.0
        return max(coverage(option_keys, keys(source, self.context.defined)) for source in sources)

    # -- item writing ----------------------------------------------------------------

    def check_mcq(self) -> None:
        options = _list_at(self.data, "options")
        seen: dict[str, int] = {}
        for i, option in enumerate(options):
            if not isinstance(option, str):
                continue
            if _FORBIDDEN_OPTION.search(fold(option)):
                self.issue(
                    "forbidden_option",
                    f"options[{i}]",
                    f"“{_excerpt(option)}”: «todas/ninguna de las anteriores» is not allowed; "
                    "write a specific option",
                    claim=option,
                    evidence=option,
                    closest="",
                )
            option_key = _SPACE.sub(" ", _OPTION_TRIM.sub("", fold(normalise_for_match(option))))
            if option_key in seen:
                self.issue(
                    "duplicate_options",
                    f"options[{i}]",
                    f"repeats options[{seen[option_key]}]; every option must be different",
                    claim=option,
                    evidence=option,
                    closest="",
                )
            else:
                seen[option_key] = i
        option_texts = [o for o in options if isinstance(o, str)]
        vignette = _text_at(self.data, "vignette") or ""
        # A rationale may cite the context, the options and the case's own data, nothing else.
        allowed = QuantityIndex([*option_texts, vignette])
        for i, rationale in enumerate(_list_at(self.data, "option_rationales")):
            if not isinstance(rationale, str):
                continue
            for quantity in quantities(rationale):
                self.numbers_checked += 1
                if quantity not in self.context.quantities and quantity not in allowed:
                    self.issue(
                        "number_not_in_context",
                        f"option_rationales[{i}]",
                        f"“{quantity}” does not occur in the context, the options or the vignette; "
                        "every number and unit must be copied from them",
                        claim=rationale,
                        evidence=quantity.text,
                    )

    def check_question(self) -> None:
        question = _text_at(self.data, "question")
        if question is None or question.rstrip().endswith("?"):
            return
        if self.data.get("kind") == "drill_open" and _is_instruction(question):
            return
        expected = "a question ending in “?” or an instruction (“Describe…”)"
        if self.data.get("kind") != "drill_open":
            expected = "a question ending in “?”"
        self.issue(
            "question_not_a_question",
            "question",
            f"“{_excerpt(question)}” is not {expected}",
            claim=question,
            evidence=_excerpt(question),
            closest="",
        )

    def check_claims(self) -> None:
        for claim in _claims(self.data):
            self.check_numbers(claim)
            self.check_terms(claim)
            if claim.role in ("key_point", "rubric"):
                self.check_cited_source(claim)
            if claim.role not in ("red_flag", "correct_option"):
                self.check_polarity(claim)
            self.check_values(claim)


def _same(a: Quantity, b: Quantity) -> bool:
    return a.value == b.value and a.unit == b.unit


def _is_instruction(question: str) -> bool:
    """A level-2 prompt: one of its sentences is a question or starts with a verb
    ("¿Qué sospechas? Razona tu respuesta.", "Describe…", "Justifique…")."""
    for sentence in split_sentences(question):
        if sentence.rstrip().endswith("?"):
            return True
        match = _FIRST_WORD.match(sentence)
        if match is not None and _INFINITIVE.fullmatch(fold(lemma(match.group(1)))[-2:]):
            return True
    return False


def _as_data(card: Any) -> tuple[Any, GroundingIssue | None]:
    if isinstance(card, BattleCard | DrillMCQ | DrillOpen):
        return card.model_dump(), None
    if isinstance(card, str | bytes):
        try:
            card = json.loads(card)
        except ValueError as error:
            return None, _issue("schema_invalid", "$", f"the card is not valid JSON: {error}")
    if not isinstance(card, Mapping):
        return None, _issue("schema_invalid", "$", f"a card is a JSON object, got {type(card).__name__}")
    return card, None


def check_card(
    card: BattleCard | DrillMCQ | DrillOpen | Mapping[str, Any] | str,
    context: ContextInput,
    *,
    topic: str | None = None,
) -> GroundingReport:
    """Check a card (parsed, a dict or JSON text) against the context it was written from.

    `context` is the text, or its passages (strings or `{"text": ...}` mappings). `topic`
    is the topic title the model was given: its words are never inventions. Without it,
    only the context supports a claim's terms.
    """
    data, not_an_object = _as_data(card)
    if not_an_object is not None:
        return GroundingReport(
            valid=False,
            kind=None,
            issues=[not_an_object],
            sources_checked=0,
            numbers_checked=0,
            terms_checked=0,
        )
    gate = _Gate(data, _context_index(tuple(_context_texts(context)), topic or ""))
    for code, field, message in structure_problems(data):
        gate.issue(code, field, message, closest="")
    structural_fields = {issue.field for issue in gate.issues}
    gate.issues.extend(_schema_issues(data, structural_fields))
    gate.check_sources()
    gate.check_claims()
    if data.get("kind") == "drill_mcq":
        gate.check_mcq()
        gate.check_key()
    if data.get("kind") in ("drill_mcq", "drill_open"):
        gate.check_question()
    kind = data.get("kind")
    return GroundingReport(
        valid=not gate.issues,
        kind=kind if isinstance(kind, str) else None,
        issues=gate.issues,
        sources_checked=gate.sources_checked,
        numbers_checked=gate.numbers_checked,
        terms_checked=gate.terms_checked,
    )
