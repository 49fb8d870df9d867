"""The `aimed-gateway` CLI: learners and tokens, against the real scheduler."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from aimed_gateway.tokens import TokenStore
from tests.support.llama import REPO

CLI = str(REPO / ".venv/bin/aimed-gateway")


def _run(args: list[str], scheduler_url: str, token_db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIMED_GATEWAY_SCHEDULER_URL": scheduler_url,
        "AIMED_GATEWAY_TOKEN_DB_PATH": str(token_db),
    }
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60)


def test_create_learner_and_token(scheduler_url: str, tmp_path: Path) -> None:
    token_db = tmp_path / "tokens.db"
    id_file = tmp_path / "learner_id"
    created = _run(["create-learner", "--name", "Lucía", "--id-file", str(id_file)], scheduler_url, token_db)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    learner_id = id_file.read_text().strip()
    store = TokenStore(token_db)
    assert store.learner_for(token) == learner_id
    learner = httpx.get(f"{scheduler_url}/v1/learners/{learner_id}", timeout=10).json()
    assert learner["name"] == "Lucía"
    second = _run(["create-token", "--learner", learner_id], scheduler_url, token_db)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() != token
    assert store.learner_for(second.stdout.strip()) == learner_id


def test_create_token_for_an_unknown_learner_fails_clearly(scheduler_url: str, tmp_path: Path) -> None:
    result = _run(["create-token", "--learner", "999999"], scheduler_url, tmp_path / "tokens.db")
    assert result.returncode == 1
    assert "999999" in result.stderr
    assert result.stdout == ""


def test_scheduler_down_is_a_clear_error(tmp_path: Path, dead_url: str) -> None:
    result = _run(["create-learner", "--name", "x"], dead_url, tmp_path / "tokens.db")
    assert result.returncode == 1
    assert "scheduler is not reachable" in result.stderr
