"""The optional model judge: per-claim support asked of a model, and what its answers mean.

The deterministic gate (`grounding.check_card`) catches changed facts; a model reading
the context can also catch a claim that changes meaning with the context's own words.
This module is the pure half of that judge, shared by the generator (which asks a model
server, `aimed_cardgen.claim_judge`) and the benchmark (bench/grounding_judge_cost.py):

- `card_claims(card)`: the claims a card makes, as the judge reads them (an MCQ's keyed
  option with its case and question: "Dexametasona" alone means nothing);
- `judge_sentences(contexts)` and `judge_messages(...)`: the Spanish prompt, with the
  context's sentences numbered from 1, so the answer can point at one;
- `verdict_schema(n)`: the answer's grammar, `{"verdict", "evidence"}`, for
  `response_format: json_schema`;
- `parse_verdict(text, n)`: the answer checked again (a server may ignore the schema);
- `judge_issues(...)` and `with_judge_issues(report, issues)`: verdicts become report
  issues. `contradicted` → `judge_contradicted`, `not_in_context` →
  `judge_not_in_context`; a claim the judge could not answer (timeout, unreachable,
  garbage) → `judge_unavailable`. No outcome lets a card pass unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# The gate's own list of claims, so the judge reads exactly the fields the gate checks.
from aimed_contracts.grounding import GroundingIssue, GroundingReport, IssueCode, _excerpt
from aimed_contracts.grounding import _claims as gate_claims
from aimed_contracts.grounding import _issue as gate_issue
from aimed_contracts.sentences import split_sentences

Verdict = Literal["supported", "contradicted", "not_in_context"]
VERDICTS: tuple[Verdict, ...] = ("supported", "contradicted", "not_in_context")
FailureReason = Literal["timeout", "unreachable", "invalid_answer", "error"]

# Room for the longest answer under the grammar ({"verdict": "not_in_context", "evidence": 999})
# with the indentation models add (the demo model writes ~45 tokens of pretty JSON).
VERDICT_MAX_TOKENS = 96

_FAILURE_ES: dict[FailureReason, str] = {
    "timeout": "no respondió a tiempo",
    "unreachable": "no está disponible",
    "invalid_answer": "dio una respuesta no válida",
    "error": "devolvió un error",
}

JUDGE_SYSTEM = """Eres un revisor de tarjetas de estudio de medicina. Compruebas si una afirmación \
de una tarjeta está respaldada por un extracto de guía clínica. Usa solo el extracto, no lo que \
sepas por tu cuenta.

Responde solo con un objeto JSON: {{"verdict": "...", "evidence": N}}
- "supported": el extracto dice lo mismo que la afirmación, aunque con otras palabras \
(paráfrasis, sinónimos, una abreviatura desarrollada, la misma cifra escrita de otra forma).
- "contradicted": el extracto dice otra cosa: otra dosis, otro umbral, otra unidad, otro \
fármaco, o la recomendación al revés (lo recomendado pasa a desaconsejado, o al contrario).
- "not_in_context": el extracto no dice eso, ni a favor ni en contra.
- "evidence": el número de la frase del extracto que más se acerca a la afirmación.

Tema: {topic}

Extracto, frase por frase:
{sentences}"""


@dataclass(frozen=True)
class Claim:
    """One claim of a card: its field, what it says, and what the judge reads."""

    field: str
    text: str
    prompt: str


@dataclass(frozen=True)
class ClaimVerdict:
    """The judge's answer on one claim; `evidence` is a 0-based index into the sentences."""

    verdict: Verdict
    evidence: int


@dataclass(frozen=True)
class JudgeFailure:
    """Why the judge gave no usable answer on a claim."""

    reason: FailureReason
    detail: str


Outcome = ClaimVerdict | JudgeFailure


def card_claims(card: Mapping[str, Any]) -> list[Claim]:
    """The gate's claims of a card (same fields), each with the text the judge reads."""
    vignette = card.get("vignette") if isinstance(card.get("vignette"), str) else None
    question = card.get("question") if isinstance(card.get("question"), str) else None
    claims = []
    for gate_claim in gate_claims(card):
        field, text = gate_claim.field, gate_claim.text
        if card.get("kind") == "drill_mcq":
            # The keyed option and the explanation only mean something with their case.
            parts = [f"Caso: {vignette}" if vignette else None, f"Pregunta: {question}" if question else None]
            said = (
                f"Respuesta que la tarjeta da por correcta: {text}"
                if field.startswith("options[")
                else f"Explicación: {text}"
            )
            prompt = "\n".join(p for p in [*parts, said] if p)
        elif card.get("kind") == "drill_open" and question:
            prompt = f"Pregunta: {question}\nRespuesta: {text}"
        else:
            prompt = text
        claims.append(Claim(field=field, text=text, prompt=prompt))
    return claims


def judge_sentences(contexts: Sequence[str]) -> list[str]:
    """The contexts' sentences, each once, in order: what the judge's `evidence` indexes."""
    seen: set[str] = set()
    sentences = []
    for context in contexts:
        for sentence in split_sentences(context):
            if sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
    return sentences


def judge_messages(topic: str, sentences: Sequence[str], claim: Claim) -> list[dict[str, str]]:
    """The judge's chat: rules, topic and numbered context first (the same for every claim
    of a card, so the server's prompt cache serves them), the claim last."""
    numbered = "\n".join(f"[{i}] {sentence}" for i, sentence in enumerate(sentences, start=1))
    return [
        {"role": "system", "content": JUDGE_SYSTEM.format(topic=topic, sentences=numbered)},
        {"role": "user", "content": f"Afirmación:\n{claim.prompt}"},
    ]


def verdict_schema(n_sentences: int) -> dict[str, Any]:
    """`{"verdict": one of VERDICTS, "evidence": 1..n}`: the grammar of one answer."""
    return {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": list(VERDICTS)},
            "evidence": {"type": "integer", "minimum": 1, "maximum": max(n_sentences, 1)},
        },
        "required": ["verdict", "evidence"],
        "additionalProperties": False,
    }


def parse_verdict(text: str, n_sentences: int) -> ClaimVerdict:
    """The answer as a verdict; ValueError (saying what is wrong) on anything else."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"not JSON: {text[:120]!r}") from None
    if not isinstance(data, dict) or set(data) != {"verdict", "evidence"}:
        raise ValueError(f'not {{"verdict", "evidence"}}: {text[:120]!r}')
    verdict, evidence = data["verdict"], data["evidence"]
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    if isinstance(evidence, bool) or not isinstance(evidence, int) or not 1 <= evidence <= n_sentences:
        raise ValueError(f"evidence {evidence!r} is not a sentence number (1..{n_sentences})")
    return ClaimVerdict(verdict=verdict, evidence=evidence - 1)


def judge_issues(
    claims: Sequence[Claim], outcomes: Sequence[Outcome], sentences: Sequence[str]
) -> list[GroundingIssue]:
    """Issues from the judge's outcomes, `outcomes[i]` for `claims[i]`.

    Claims without an outcome (the judge stopped after a failure) and failed ones are
    unchecked: they become one `judge_unavailable` issue, so the card never passes as if
    the judge had agreed.
    """
    issues = []
    unchecked: list[Claim] = []
    failure: JudgeFailure | None = None
    for i, claim in enumerate(claims):
        outcome = outcomes[i] if i < len(outcomes) else None
        if isinstance(outcome, ClaimVerdict):
            if outcome.verdict == "supported":
                continue
            sentence = sentences[outcome.evidence] if 0 <= outcome.evidence < len(sentences) else None
            code: IssueCode = "judge_contradicted"
            message = (
                f"the judge found “{_excerpt(claim.text)}” contradicted by context sentence "
                f"{outcome.evidence + 1}: “{_excerpt(sentence or '')}”"
            )
            if outcome.verdict != "contradicted":
                code = "judge_not_in_context"
                message = (
                    f"the judge found no support for “{_excerpt(claim.text)}” in the context "
                    f"(closest: sentence {outcome.evidence + 1})"
                )
            issues.append(gate_issue(code, claim.field, message, claim=claim.text, closest_sentence=sentence))
        else:
            unchecked.append(claim)
            if failure is None and outcome is not None:
                failure = outcome
    if unchecked:
        reason: FailureReason = failure.reason if failure else "error"
        detail = failure.detail if failure else "no answer"
        fields = ", ".join(claim.field for claim in unchecked)
        issues.append(
            GroundingIssue(
                code="judge_unavailable",
                field=unchecked[0].field,
                message=f"the judge could not check {len(unchecked)} of {len(claims)} claim(s) "
                f"({reason}: {detail}); unchecked: {fields}. The card is not passed unchecked.",
                claim=unchecked[0].text,
                message_es=f"El revisor automático {_FAILURE_ES[reason]}: {len(unchecked)} de "
                f"{len(claims)} afirmaciones quedaron sin comprobar.",
            )
        )
    return issues


def with_judge_issues(report: GroundingReport, issues: Sequence[GroundingIssue]) -> GroundingReport:
    """The gate's report with the judge's issues added; invalid if there are any."""
    return report.model_copy(
        update={"issues": [*report.issues, *issues], "valid": report.valid and not issues}
    )
