"""The local launcher: `make run` / `make stop` (infra/scripts/run.sh, stop.sh) on free ports."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from infra.login_link import login_link
from infra.stack import Stack, StackConfig, StackError, port_in_use
from tests.support.llama import REPO

GOLD_DIR = REPO / "training/data/gold"


def _gold_titles() -> set[str]:
    return {
        json.loads(line)["tema"]
        for path in GOLD_DIR.glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }


def test_an_external_model_server_skips_llama(tmp_path: Path) -> None:
    config = StackConfig.free_ports(tmp_path, llm_base_url="http://127.0.0.1:1234")
    names = [spec.name for spec in Stack(config).specs()]
    assert names == ["generator", "scheduler", "gateway", "mcp", "nginx"]
    generator = Stack(config).specs()[0]
    assert generator.env["AIMED_GENERATOR_LLM_BASE_URL"] == "http://127.0.0.1:1234"
    conf = (tmp_path / "run" / "nginx" / "nginx.conf").read_text()
    assert f"pid {tmp_path.resolve()}/run/nginx/nginx.pid;" in conf


def test_one_process_stops_and_restarts(tmp_path: Path) -> None:
    config = StackConfig.free_ports(tmp_path, llm_base_url="http://127.0.0.1:9")
    with Stack(config) as stack:
        assert set(stack.running()) == {"generator", "scheduler", "gateway", "mcp", "nginx"}
        assert stack.stop_process("generator") is True
        assert "generator" not in stack.running()
        health = httpx.get(f"{config.proxy_url}/api/health", timeout=10).json()
        assert {d["name"]: d["ok"] for d in health["dependencies"]}["generator"] is False
        stack.start_process("generator")
        assert stack.health()["generator"] is True
    assert Stack(config).running() == {}


def test_a_busy_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    config = StackConfig.free_ports(tmp_path, llm_base_url="http://127.0.0.1:1234")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", config.gateway_port))
        blocker.listen()
        with pytest.raises(StackError, match=f"gateway :{config.gateway_port}"):
            Stack(config).start()
    assert Stack(config).running() == {}


@pytest.mark.llama
@pytest.mark.slow
def test_make_run_and_make_stop(tmp_path: Path) -> None:
    config = StackConfig.free_ports(tmp_path)
    env = {
        **os.environ,
        "AIMED_VAR_DIR": str(tmp_path),
        "AIMED_PROXY_PORT": str(config.proxy_port),
        "AIMED_GATEWAY_PORT": str(config.gateway_port),
        "AIMED_SCHEDULER_PORT": str(config.scheduler_port),
        "AIMED_GENERATOR_PORT": str(config.generator_port),
        "AIMED_MCP_PORT": str(config.mcp_port),
        "AIMED_LLAMA_PORT": str(config.llama_port),
        # No background generation: this test is about processes, not cards.
        "AIMED_GATEWAY_PREFETCH_DEPTH": "0",
        # The demo model whatever model servers this machine runs (tests/infra/test_model_probe.py
        # covers finding them).
        "AIMED_MODEL": "demo",
    }
    run = subprocess.run(["bash", "infra/scripts/run.sh"], cwd=REPO, env=env, capture_output=True, text=True)
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        token = (tmp_path / "token").read_text().strip()
        assert token in run.stdout
        # The sign-in link, made by the function tests/e2e/test_first_hour.py opens.
        assert login_link(config.proxy_url, token) in run.stdout
        assert "Model: the tiny demo model" in run.stderr
        assert "hand-written example cards" in run.stdout
        assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
        stack = Stack(config)
        assert set(stack.running()) == {"llama", "generator", "scheduler", "gateway", "mcp", "nginx"}
        assert all(stack.health().values()), stack.health()
        assert {p.name for p in (tmp_path / "log").iterdir()} >= {f"{n}.log" for n in stack.running()}
        proxy = httpx.Client(base_url=config.proxy_url, timeout=10)
        assert proxy.get("/").status_code == 200
        assert proxy.get("/api/health").json()["status"] == "ok"
        # Only /, /api/ and /mcp are routed: the internal services' paths are not reachable.
        assert proxy.get("/v1/learners/1").status_code == 404
        assert proxy.get("/health").status_code == 404
        assert proxy.get("/api/v1/topics").status_code == 401
        assert proxy.post("/mcp", json={}).status_code == 401
        topics = proxy.get("/api/v1/topics", headers={"Authorization": f"Bearer {token}"}).json()
        assert {t["title"] for t in topics["data"]} == _gold_titles()
        first = topics["data"][0]
        contexts = proxy.get(
            f"/api/v1/topics/{first['id']}/contexts", headers={"Authorization": f"Bearer {token}"}
        )
        assert contexts.json()["count"] == 1
        again = subprocess.run(
            ["bash", "infra/scripts/run.sh"], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout
        assert "already has topics" in again.stdout
        assert (tmp_path / "token").read_text().strip() == token
        assert proxy.get("/api/v1/topics", headers={"Authorization": f"Bearer {token}"}).json()[
            "count"
        ] == len(topics["data"])
    finally:
        stop = subprocess.run(
            ["bash", "infra/scripts/stop.sh"], cwd=REPO, env=env, capture_output=True, text=True
        )
    assert stop.returncode == 0, stop.stderr
    assert "nginx" in stop.stdout
    assert Stack(config).running() == {}
    assert not any(port_in_use(p) for p in (config.proxy_port, config.gateway_port, config.scheduler_port))
