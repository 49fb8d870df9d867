"""The public API against its own OpenAPI document, with schemathesis, through the proxy.

The real stack (infra/stack.py: nginx → gateway → scheduler on SQLite, generator) with the
internal token set and no model server (generation answers its documented states; a
llama-server is not needed to check the contract). A learner with a few topics and
contexts; schemathesis (tests/infra/schemathesis.toml: fixed seed, 50 cases per
operation) runs every operation as that learner and fails on any 5xx, any answer the
document does not declare (status code, content type, body schema), and any request the
document calls valid that the server refuses: the document says what the server enforces.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.stack import Stack, StackConfig, free_port
from tests.support.learners import create_learner

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")


@dataclass
class Running:
    config: StackConfig
    token: str


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    config = StackConfig.free_ports(
        tmp_path_factory.mktemp("contract"),
        llm_base_url=f"http://127.0.0.1:{free_port()}",
        prefetch_depth=0,
        internal_token="contrato-interno",
    )
    with Stack(config):
        _, token = create_learner(config, "contrato")
        api = httpx.Client(
            base_url=config.proxy_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        for index, modulo in enumerate(("cardiología", "neumología", "urgencias")):
            topic = api.post("/topics", json={"title": f"Tema {index}", "modulo": modulo}).raise_for_status()
            api.post(
                f"/topics/{topic.json()['id']}/contexts",
                json={"source_label": "Guía", "text": "La sepsis se trata con antibióticos precoces."},
            ).raise_for_status()
        yield Running(config, token)


def test_every_operation_keeps_its_documented_contract(running: Running) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{running.config.proxy_url}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {running.token}",
        "--report",
        "junit",
        "--report-dir",
        str(ARTIFACTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    (ARTIFACTS / "output.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
