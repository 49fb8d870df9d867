"""The grounding gate: is a card well-formed, and does it claim only what its context says?

`check_card(card, context)` never raises on a bad card: every problem becomes a
`GroundingIssue {code, field, message}` with `field` a JSON path (`key_points[2].text`).
Used by the generator on every card, by `POST /v1/validate` and by the training-data
validator. Issue codes (docs/cards.md explains each):

- `schema_invalid`: the card does not match its kind's schema (or is not JSON).
- `level_kind_mismatch`, `answer_index_out_of_range`, `rationale_count_mismatch`,
  `source_index_out_of_range`: structural rules across fields.
- `source_not_in_context`: a `sources` entry is not a verbatim piece of the context
  (compared after normalising whitespace, quotes, dashes and case).
- `number_not_in_context`: a number (with its unit) in a claim is not in the context;
  in an option rationale, not in the context, the options or the vignette.
- `unsupported_term`: a content word of a claim the context never uses.
- `duplicate_options`, `forbidden_option`, `question_not_a_question`: MCQ item writing.

Claims are the fields that state medical facts: summary, key point texts, red flags,
the correct option, explanation, model answer and rubric items. The vignette (a made-up
patient), the question and the distractors are exempt from the number and word checks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from aimed_contracts.cards import BattleCard, DrillMCQ, DrillOpen, parse_card, structure_problems
from aimed_contracts.lexicon import Vocabulary, is_checked, words
from aimed_contracts.quantities import QuantityIndex, fold, quantities

IssueCode = Literal[
    "schema_invalid",
    "level_kind_mismatch",
    "answer_index_out_of_range",
    "rationale_count_mismatch",
    "source_index_out_of_range",
    "source_not_in_context",
    "number_not_in_context",
    "unsupported_term",
    "duplicate_options",
    "forbidden_option",
    "question_not_a_question",
    # The optional model judge (aimed_contracts.judge): a verdict, or no usable answer.
    "judge_contradicted",
    "judge_not_in_context",
    "judge_unavailable",
]


class GroundingIssue(BaseModel):
    code: IssueCode
    field: str
    message: str


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
            issues.append(GroundingIssue(code="schema_invalid", field=field, message=detail["msg"]))
        return issues
    return []


def _text_at(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _list_at(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _claims(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, text) of every claim present in the card, whatever else is broken."""
    kind = data.get("kind")
    if kind == "battlecard":
        if (summary := _text_at(data, "summary")) is not None:
            yield "summary", summary
        for i, point in enumerate(_list_at(data, "key_points")):
            if isinstance(point, Mapping) and isinstance(point.get("text"), str):
                yield f"key_points[{i}].text", point["text"]
        for i, flag in enumerate(_list_at(data, "red_flags")):
            if isinstance(flag, str):
                yield f"red_flags[{i}]", flag
    elif kind == "drill_mcq":
        options = _list_at(data, "options")
        answer = data.get("answer_index")
        if isinstance(answer, int) and 0 <= answer < len(options) and isinstance(options[answer], str):
            yield f"options[{answer}]", options[answer]
        if (explanation := _text_at(data, "explanation")) is not None:
            yield "explanation", explanation
    elif kind == "drill_open":
        if (answer_text := _text_at(data, "model_answer")) is not None:
            yield "model_answer", answer_text
        for i, item in enumerate(_list_at(data, "rubric")):
            if isinstance(item, Mapping) and isinstance(item.get("item"), str):
                yield f"rubric[{i}].item", item["item"]


class _Gate:
    def __init__(self, data: Mapping[str, Any], context_texts: list[str]) -> None:
        self.data = data
        self.context_texts = context_texts
        self.context_index = QuantityIndex(context_texts)
        self.vocabulary = Vocabulary(context_texts)
        self.issues: list[GroundingIssue] = []
        self.sources_checked = 0
        self.numbers_checked = 0
        self.terms_checked = 0

    def issue(self, code: IssueCode, field: str, message: str) -> None:
        self.issues.append(GroundingIssue(code=code, field=field, message=message))

    def check_sources(self) -> None:
        haystack = normalise_for_match("\n".join(self.context_texts))
        for i, source in enumerate(_list_at(self.data, "sources")):
            if not isinstance(source, str):
                continue
            self.sources_checked += 1
            if normalise_for_match(source) not in haystack:
                self.issue(
                    "source_not_in_context",
                    f"sources[{i}]",
                    f"“{_excerpt(source)}” is not in the context; copy whole sentences from it verbatim",
                )

    def check_numbers(self, field: str, text: str, index: QuantityIndex, where: str) -> None:
        for quantity in quantities(text):
            self.numbers_checked += 1
            if quantity not in index:
                self.issue(
                    "number_not_in_context",
                    field,
                    f"“{quantity}” does not occur in {where}; every number and unit must be copied from it",
                )

    def check_terms(self, field: str, text: str) -> None:
        reported: set[str] = set()
        for word in words(text):
            if not is_checked(word):
                continue
            self.terms_checked += 1
            folded = fold(word)
            if folded not in reported and not self.vocabulary.supports(word):
                reported.add(folded)
                self.issue(
                    "unsupported_term",
                    field,
                    f"“{word}” is not in the context; a drug, test or finding the context never "
                    "names is an invention: use the context's own words",
                )

    def check_claims(self) -> None:
        for field, text in _claims(self.data):
            self.check_numbers(field, text, self.context_index, "the context")
            self.check_terms(field, text)

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
                )
            key = _SPACE.sub(" ", _OPTION_TRIM.sub("", fold(normalise_for_match(option))))
            if key in seen:
                self.issue(
                    "duplicate_options",
                    f"options[{i}]",
                    f"repeats options[{seen[key]}]; every option must be different",
                )
            else:
                seen[key] = i
        option_texts = [o for o in options if isinstance(o, str)]
        vignette = _text_at(self.data, "vignette") or ""
        # A rationale may cite the context, the options and the case's own data, nothing else.
        allowed = QuantityIndex([*self.context_texts, *option_texts, vignette])
        for i, rationale in enumerate(_list_at(self.data, "option_rationales")):
            if isinstance(rationale, str):
                self.check_numbers(
                    f"option_rationales[{i}]", rationale, allowed, "the context, the options or the vignette"
                )

    def check_question(self) -> None:
        question = _text_at(self.data, "question")
        if question is not None and not question.rstrip().endswith("?"):
            self.issue(
                "question_not_a_question",
                "question",
                f"“{_excerpt(question)}” is not a question; the lead-in must end with “?”",
            )


def _excerpt(text: str, limit: int = 80) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_data(card: Any) -> tuple[Any, GroundingIssue | None]:
    if isinstance(card, BattleCard | DrillMCQ | DrillOpen):
        return card.model_dump(), None
    if isinstance(card, str | bytes):
        try:
            card = json.loads(card)
        except ValueError as error:
            return None, GroundingIssue(
                code="schema_invalid", field="$", message=f"the card is not valid JSON: {error}"
            )
    if not isinstance(card, Mapping):
        return None, GroundingIssue(
            code="schema_invalid", field="$", message=f"a card is a JSON object, got {type(card).__name__}"
        )
    return card, None


def check_card(
    card: BattleCard | DrillMCQ | DrillOpen | Mapping[str, Any] | str, context: ContextInput
) -> GroundingReport:
    """Check a card (parsed, a dict or JSON text) against the context it was written from.

    `context` is the text, or its passages (strings or `{"text": ...}` mappings).
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
    gate = _Gate(data, _context_texts(context))
    for code, field, message in structure_problems(data):
        gate.issue(code, field, message)
    structural_fields = {issue.field for issue in gate.issues}
    gate.issues.extend(_schema_issues(data, structural_fields))
    gate.check_sources()
    gate.check_claims()
    if data.get("kind") == "drill_mcq":
        gate.check_mcq()
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
