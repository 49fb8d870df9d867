"""The judge's decision logic (aimed_contracts.judge) with scripted verdicts: no model here.

The plumbing against a real llama-server is tests/generator/test_judge_llama.py.
"""

from __future__ import annotations

import json

import pytest

from aimed_contracts.examples import EXAMPLE_CARDS, EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.grounding import check_card
from aimed_contracts.judge import (
    ClaimVerdict,
    JudgeFailure,
    card_claims,
    judge_issues,
    judge_messages,
    judge_sentences,
    parse_verdict,
    verdict_schema,
    with_judge_issues,
)

SENTENCES = judge_sentences([EXAMPLE_CONTEXT])


def test_claims_are_the_gates_claims_with_their_case() -> None:
    mcq = card_claims(EXAMPLE_CARDS["drill_mcq"])
    assert [c.field for c in mcq] == ["options[0]", "explanation"]
    keyed = mcq[0]
    assert keyed.text == "Reponer potasio y retrasar la insulina"
    # The keyed option alone says nothing: the judge reads it with its case and question.
    assert "Caso: Mujer de 24 años" in keyed.prompt
    assert "Pregunta: ¿Cuál es el siguiente paso más adecuado?" in keyed.prompt
    assert keyed.prompt.endswith(
        "Respuesta que la tarjeta da por correcta: Reponer potasio y retrasar la insulina"
    )
    battle = card_claims(EXAMPLE_CARDS["battlecard"])
    assert battle[0].field == "summary" and battle[0].prompt == battle[0].text
    assert any(c.field.startswith("key_points[") for c in battle)
    open_drill = card_claims(EXAMPLE_CARDS["drill_open"])
    assert open_drill[0].field == "model_answer"
    assert open_drill[0].prompt.startswith("Pregunta: ")


def test_the_prompt_numbers_every_sentence_and_ends_with_the_claim() -> None:
    claim = card_claims(EXAMPLE_CARDS["battlecard"])[0]
    system, user = judge_messages(EXAMPLE_TOPIC, SENTENCES, claim)
    assert system["role"] == "system" and user["role"] == "user"
    assert f"Tema: {EXAMPLE_TOPIC}" in system["content"]
    for number, sentence in enumerate(SENTENCES, start=1):
        assert f"[{number}] {sentence}" in system["content"]
    assert user["content"].endswith(claim.prompt)
    # Same system message for every claim of a card: the server's prompt cache serves it.
    other = card_claims(EXAMPLE_CARDS["battlecard"])[1]
    assert judge_messages(EXAMPLE_TOPIC, SENTENCES, other)[0] == system


def test_schema_allows_only_the_three_verdicts_and_a_sentence_number() -> None:
    schema = verdict_schema(len(SENTENCES))
    assert schema["properties"]["verdict"]["enum"] == ["supported", "contradicted", "not_in_context"]
    assert schema["properties"]["evidence"] == {"type": "integer", "minimum": 1, "maximum": len(SENTENCES)}
    assert schema["required"] == ["verdict", "evidence"]


def test_a_verdict_parses_with_a_zero_based_evidence_index() -> None:
    assert parse_verdict('{"verdict": "supported", "evidence": 3}', 9) == ClaimVerdict("supported", 2)
    assert parse_verdict(' {"evidence": 1, "verdict": "contradicted"}\n', 9) == ClaimVerdict(
        "contradicted", 0
    )


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "supported",
        "<html>502 Bad Gateway</html>",
        '{"verdict": "supported"}',
        '{"verdict": "probably", "evidence": 1}',
        '{"verdict": "supported", "evidence": 0}',
        '{"verdict": "supported", "evidence": 10}',
        '{"verdict": "supported", "evidence": "2"}',
        '{"verdict": "supported", "evidence": true}',
        '{"verdict": "supported", "evidence": 2, "confidence": 0.9}',
        '["supported", 2]',
    ],
)
def test_anything_else_is_not_a_verdict(answer: str) -> None:
    with pytest.raises(ValueError):
        parse_verdict(answer, 9)


def _claims() -> list:
    return card_claims(EXAMPLE_CARDS["battlecard"])


def test_supported_claims_raise_no_issue() -> None:
    claims = _claims()
    assert judge_issues(claims, [ClaimVerdict("supported", 0)] * len(claims), SENTENCES) == []


def test_contradicted_and_not_in_context_name_claim_rule_and_sentence() -> None:
    claims = _claims()
    outcomes = [ClaimVerdict("supported", 0)] * len(claims)
    outcomes[1] = ClaimVerdict("contradicted", 3)
    outcomes[2] = ClaimVerdict("not_in_context", 0)
    issues = judge_issues(claims, outcomes, SENTENCES)
    assert [(i.code, i.field) for i in issues] == [
        ("judge_contradicted", claims[1].field),
        ("judge_not_in_context", claims[2].field),
    ]
    contradicted, missing = issues
    assert contradicted.claim == claims[1].text
    assert contradicted.closest_sentence == SENTENCES[3]
    assert "sentence 4" in contradicted.message
    assert contradicted.message_es and "contradice" in contradicted.message_es
    assert missing.closest_sentence == SENTENCES[0]
    assert missing.message_es and "no encuentra" in missing.message_es


@pytest.mark.parametrize(
    ("failure", "spanish"),
    [
        (JudgeFailure("timeout", "no answer within 0.01 s"), "no respondió a tiempo"),
        (JudgeFailure("unreachable", "connection refused"), "no está disponible"),
        (JudgeFailure("invalid_answer", "not JSON: 'lorem'"), "respuesta no válida"),
    ],
)
def test_a_failure_leaves_the_card_unchecked_never_passed(failure: JudgeFailure, spanish: str) -> None:
    claims = _claims()
    # The judge answered the first claim, failed on the second and was not asked the rest.
    issues = judge_issues(claims, [ClaimVerdict("supported", 0), failure], SENTENCES)
    assert [i.code for i in issues] == ["judge_unavailable"]
    issue = issues[0]
    assert issue.field == claims[1].field and issue.claim == claims[1].text
    assert f"{len(claims) - 1} of {len(claims)}" in issue.message
    assert failure.detail in issue.message
    assert issue.message_es and spanish in issue.message_es


def test_a_missing_outcome_is_unchecked_too() -> None:
    claims = _claims()
    issues = judge_issues(claims, [], SENTENCES)
    assert [i.code for i in issues] == ["judge_unavailable"]


def test_judge_issues_make_a_valid_report_invalid() -> None:
    report = check_card(EXAMPLE_CARDS["battlecard"], EXAMPLE_CONTEXT, topic=EXAMPLE_TOPIC)
    assert report.valid
    claims = _claims()
    issues = judge_issues(claims, [ClaimVerdict("contradicted", 1)] * len(claims), SENTENCES)
    judged = with_judge_issues(report, issues)
    assert not judged.valid
    assert judged.codes == {"judge_contradicted"}
    assert with_judge_issues(report, []).valid
    # The report still serialises with the new fields for the generator's response.
    dumped = json.loads(judged.model_dump_json())
    assert dumped["issues"][0]["closest_sentence"] == SENTENCES[1]
