"""The optional judge inside the generator, over a scripted judge (the real one: test_judge_llama.py).

A card the gate passes is judged claim by claim; a contradicted or unsupported claim
fails the attempt like any gate issue, and a judge that times out, answers garbage or is
down leaves the card unchecked: refused under strict, flagged under flag, never passed.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aimed_cardgen import Policy
from aimed_cardgen.claim_judge import ClaimJudge, open_claim_judge
from aimed_cardgen.errors import ModelTimeout, ModelUnavailable
from aimed_contracts.examples import EXAMPLE_BATTLECARD, EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.judge import card_claims
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from tests.generator.fakes import FakeBackend

CLAIMS = card_claims(EXAMPLE_BATTLECARD)
SUPPORTED = {"verdict": "supported", "evidence": 1}


def _request(**extra: Any) -> dict[str, Any]:
    return {
        "task": "battlecard",
        "topic": EXAMPLE_TOPIC,
        "contexts": [{"id": 7, "text": EXAMPLE_CONTEXT}],
        "seed": 5,
        **extra,
    }


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend(answers=[EXAMPLE_BATTLECARD])


@pytest.fixture
def judge_backend() -> FakeBackend:
    return FakeBackend(answers=[SUPPORTED], base_url="http://fake-judge")


@pytest.fixture
def client(backend: FakeBackend, judge_backend: FakeBackend) -> Iterator[TestClient]:
    app = create_app(Settings(max_attempts=2, policy=Policy.strict), backend=backend)
    with TestClient(app) as test_client:
        app.state.generator.claim_judge = ClaimJudge(judge_backend)
        yield test_client


def test_every_claim_supported_passes_and_the_report_says_so(
    client: TestClient, judge_backend: FakeBackend
) -> None:
    response = client.post("/v1/cards", json=_request())
    assert response.status_code == 200, response.text
    report = response.json()["grounding_report"]
    assert report["valid"] is True
    assert report["judge"]["claims"] == report["judge"]["checked"] == len(CLAIMS)
    assert report["judge"]["verdicts"] == {"supported": len(CLAIMS)}
    # One grammar-constrained request per claim, deterministic, the claim last.
    assert len(judge_backend.calls) == len(CLAIMS)
    for call, claim in zip(judge_backend.calls, CLAIMS, strict=True):
        assert call["schema"]["properties"]["verdict"]["enum"] == [
            "supported",
            "contradicted",
            "not_in_context",
        ]
        assert call["messages"][-1]["content"].endswith(claim.prompt)


def test_a_contradicted_claim_fails_the_attempt_and_strict_refuses(
    client: TestClient, backend: FakeBackend, judge_backend: FakeBackend
) -> None:
    # Both attempts write the same card, and the judge contradicts its second claim each time.
    one_card = [SUPPORTED, {"verdict": "contradicted", "evidence": 4}] + [SUPPORTED] * (len(CLAIMS) - 2)
    judge_backend.answers = one_card * 2
    response = client.post("/v1/cards", json=_request())
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["type"] == "ungrounded_output"
    codes = [(i["attempt"], i["code"], i["field"]) for i in body["error"]["detail"]["issues"]]
    assert codes == [(1, "judge_contradicted", CLAIMS[1].field), (2, "judge_contradicted", CLAIMS[1].field)]
    assert len(backend.calls) == 2


def test_flag_returns_the_card_with_the_judges_evidence(
    client: TestClient, judge_backend: FakeBackend
) -> None:
    judge_backend.answers = [{"verdict": "not_in_context", "evidence": 2}, SUPPORTED]
    response = client.post("/v1/cards", json=_request(policy="flag", max_attempts=1))
    assert response.status_code == 200, response.text
    report = response.json()["grounding_report"]
    assert report["valid"] is False
    [issue] = report["issues"]
    assert issue["code"] == "judge_not_in_context"
    assert issue["field"] == CLAIMS[0].field
    assert issue["claim"] == CLAIMS[0].text
    assert issue["closest_sentence"] and issue["closest_sentence"] in EXAMPLE_CONTEXT
    assert issue["message_es"]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (ModelTimeout("The model server did not answer within 0.01 s."), "timeout"),
        (ModelUnavailable("The model server is unreachable (ConnectError)."), "unreachable"),
        ("Lo siento, no puedo ayudar con eso.", "invalid_answer"),
        ({"verdict": "supported"}, "invalid_answer"),
    ],
)
def test_a_failing_judge_never_passes_a_card(
    client: TestClient, judge_backend: FakeBackend, fault: Any, reason: str
) -> None:
    judge_backend.answers = [fault]
    strict = client.post("/v1/cards", json=_request(max_attempts=1))
    assert strict.status_code == 422
    [issue] = strict.json()["error"]["detail"]["issues"]
    assert issue["code"] == "judge_unavailable"
    assert reason in issue["message"]
    # The review stops at the first failure instead of asking every claim.
    assert len(judge_backend.calls) == 1
    flagged = client.post("/v1/cards", json=_request(policy="flag", max_attempts=1))
    assert flagged.status_code == 200
    report = flagged.json()["grounding_report"]
    assert report["valid"] is False
    assert [i["code"] for i in report["issues"]] == ["judge_unavailable"]
    assert report["judge"]["checked"] == 0


def test_a_card_the_gate_refuses_is_not_sent_to_the_judge(
    client: TestClient, backend: FakeBackend, judge_backend: FakeBackend
) -> None:
    card = copy.deepcopy(EXAMPLE_BATTLECARD)
    card["summary"] = "Se trata con metformina 850 mg."
    backend.answers = [card]
    response = client.post("/v1/cards", json=_request(policy="flag", max_attempts=1))
    assert response.status_code == 200
    assert "judge" not in response.json()["grounding_report"]
    assert judge_backend.calls == []


async def _opened(settings: Settings) -> dict[str, Any] | None:
    async with open_claim_judge(settings.judge_server()) as judge:
        if judge is None:
            return None
        backend: Any = judge.backend
        return {
            "url": backend.base_url,
            "kind": backend.kind,
            "model": backend.config.model,
            "timeout_s": backend.config.request_timeout_s,
            "client_read_timeout_s": backend.client.timeout.read,
            "authorization": backend.client.headers.get("Authorization"),
        }


def test_settings_turn_the_judge_on_and_point_it() -> None:
    assert asyncio.run(_opened(Settings())) is None
    same = asyncio.run(_opened(Settings(judge=True, llm_base_url="http://gen:8088", llm_api_key="k1")))
    assert same is not None
    assert same["url"] == "http://gen:8088" and same["authorization"] == "Bearer k1"
    apart = asyncio.run(
        _opened(
            Settings(
                judge=True,
                llm_base_url="http://gen:8088",
                llm_model="small.gguf",
                llm_api_key="k1",
                request_timeout_s=120,
                judge_base_url="http://judge:1234/",
                judge_backend="openai",
                judge_timeout_s=700,
            )
        )
    )
    assert apart == {
        "url": "http://judge:1234",
        "kind": "openai",
        "model": None,
        "timeout_s": 700,
        # Its own client: a slow verdict is not cut at the generator's request_timeout_s.
        "client_read_timeout_s": 700,
        "authorization": None,
    }


def test_judge_setting_reads_on_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMED_GENERATOR_JUDGE", "on")
    assert Settings().judge is True
    monkeypatch.setenv("AIMED_GENERATOR_JUDGE", "off")
    assert Settings().judge is False
    monkeypatch.setenv("AIMED_GENERATOR_JUDGE", "maybe")
    with pytest.raises(ValueError):
        Settings()
