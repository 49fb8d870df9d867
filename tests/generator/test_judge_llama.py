"""The judge's plumbing against a real llama-server (demo GGUF), a garbage server and a closed port.

The card is scripted (the worked MCQ, which passes the gate and makes two claims; the demo
model's own cards almost never pass), so every request reaches the judge. The demo model is no judge:
these tests check that its grammar-constrained answers parse into verdicts and that a
timeout, garbage or a down judge are reported and never let the card pass, not that its
verdicts are right.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aimed_cardgen import Policy
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_DRILL_MCQ, EXAMPLE_TOPIC
from aimed_contracts.judge import card_claims, judge_sentences
from aimed_generator.config import Settings
from aimed_generator.main import create_app
from tests.generator.fakes import FakeBackend
from tests.support.llama import LlamaServer, free_port

pytestmark = pytest.mark.llama

CLAIMS = card_claims(EXAMPLE_DRILL_MCQ)
SENTENCES = judge_sentences([EXAMPLE_CONTEXT])
REQUEST = {
    "task": "drill",
    "level": 1,
    "topic": EXAMPLE_TOPIC,
    "contexts": [{"id": 1, "text": EXAMPLE_CONTEXT}],
    "seed": 3,
    "max_attempts": 1,
}


def _generate(policy: Policy, **judge: Any) -> TestClient:
    settings = Settings(judge=True, policy=policy, max_attempts=1, log_level="WARNING", **judge)
    return TestClient(create_app(settings, backend=FakeBackend(answers=[EXAMPLE_DRILL_MCQ])))


def _flagged(**judge: Any) -> dict[str, Any]:
    with _generate(Policy.flag, **judge) as client:
        response = client.post("/v1/cards", json=REQUEST)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()["grounding_report"]
    return report


def _refused(**judge: Any) -> list[dict[str, Any]]:
    with _generate(Policy.strict, **judge) as client:
        response = client.post("/v1/cards", json=REQUEST)
    assert response.status_code == 422, response.text
    issues: list[dict[str, Any]] = response.json()["error"]["detail"]["issues"]
    return issues


def test_the_demo_models_constrained_answers_parse_into_verdicts(llama_server: LlamaServer) -> None:
    report = _flagged(judge_base_url=llama_server.url, judge_timeout_s=900)
    judge = report["judge"]
    # Every claim got a verdict: no answer was garbage, none timed out.
    assert not [i for i in report["issues"] if i["code"] == "judge_unavailable"], report["issues"]
    assert judge["claims"] == judge["checked"] == len(CLAIMS)
    assert sum(judge["verdicts"].values()) == len(CLAIMS)
    assert set(judge["verdicts"]) <= {"supported", "contradicted", "not_in_context"}
    assert judge["model_ms"] > 0
    codes = {issue["code"] for issue in report["issues"]}
    assert codes <= {"judge_contradicted", "judge_not_in_context"}
    assert report["valid"] is (judge["verdicts"].get("supported") == len(CLAIMS))
    for issue in report["issues"]:
        assert issue["claim"] in {claim.text for claim in CLAIMS}
        assert issue["closest_sentence"] in SENTENCES


def test_a_judge_that_times_out_refuses_the_card(llama_server: LlamaServer) -> None:
    [issue] = _refused(judge_base_url=llama_server.url, judge_timeout_s=0.001)
    assert issue["code"] == "judge_unavailable"
    assert "timeout" in issue["message"]
    report = _flagged(judge_base_url=llama_server.url, judge_timeout_s=0.001)
    assert report["valid"] is False and report["judge"]["checked"] == 0


def test_a_judge_that_is_down_refuses_the_card() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    [issue] = _refused(judge_base_url=closed, connect_timeout_s=1)
    assert issue["code"] == "judge_unavailable"
    assert "unreachable" in issue["message"]
    assert issue["field"] == CLAIMS[0].field


class _Nonsense(BaseHTTPRequestHandler):
    """Answers every request with 200 and whatever the server was told to say."""

    body = b""
    content_type = "text/plain"

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def nonsense_server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Nonsense)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _says(server: ThreadingHTTPServer, body: bytes, content_type: str) -> None:
    handler = type("Handler", (_Nonsense,), {"body": body, "content_type": content_type})
    server.RequestHandlerClass = handler


def test_a_judge_answering_plain_nonsense_refuses_the_card(
    nonsense_server: tuple[ThreadingHTTPServer, str],
) -> None:
    server, url = nonsense_server
    _says(server, b"<html><body>502 Bad Gateway</body></html>", "text/html")
    [issue] = _refused(judge_base_url=url)
    assert issue["code"] == "judge_unavailable" and "invalid_answer" in issue["message"]


def test_a_judge_whose_completion_is_not_a_verdict_refuses_the_card(
    nonsense_server: tuple[ThreadingHTTPServer, str],
) -> None:
    server, url = nonsense_server
    completion = {
        "choices": [{"message": {"content": "Creo que sí, más o menos."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 7},
    }
    _says(server, json.dumps(completion).encode(), "application/json")
    [issue] = _refused(judge_base_url=url, judge_backend="openai", judge_model="any")
    assert issue["code"] == "judge_unavailable" and "not JSON" in issue["message"]
    report = _flagged(judge_base_url=url, judge_backend="openai", judge_model="any")
    assert report["valid"] is False
    assert [i["code"] for i in report["issues"]] == ["judge_unavailable"]
