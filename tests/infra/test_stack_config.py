"""`make run`'s configuration from the environment (infra/stack.py, StackConfig.from_env)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.stack import Stack, StackConfig

SETTINGS = (
    "MODEL_PATH",
    "LLM_BASE_URL",
    "AIMED_GATEWAY_GENERATION_POLICY",
    "AIMED_VAR_DIR",
    "DATABASE_URL",
    "AIMED_BIND_ADDRESS",
    "AIMED_INTERNAL_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_the_demo_model_serves_flagged_cards_a_real_one_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    assert StackConfig.from_env().generation_policy == "flag"
    monkeypatch.setenv("MODEL_PATH", "/models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf")
    assert StackConfig.from_env().generation_policy == "strict"
    monkeypatch.delenv("MODEL_PATH")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:1234")
    assert StackConfig.from_env().generation_policy == "strict"


@pytest.mark.parametrize("model", [None, "/models/own-finetune.gguf"])
@pytest.mark.parametrize("policy", ["strict", "flag"])
def test_an_explicit_policy_always_wins(
    monkeypatch: pytest.MonkeyPatch, model: str | None, policy: str
) -> None:
    if model:
        monkeypatch.setenv("MODEL_PATH", model)
    monkeypatch.setenv("AIMED_GATEWAY_GENERATION_POLICY", policy)
    config = StackConfig.from_env()
    assert config.generation_policy == policy
    assert config.gateway_env()["AIMED_GATEWAY_GENERATION_POLICY"] == policy


def test_the_proxy_listens_on_loopback_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = StackConfig.from_env()
    assert config.bind_address == "127.0.0.1"
    monkeypatch.setenv("AIMED_BIND_ADDRESS", "0.0.0.0")
    exposed = StackConfig.from_env()
    exposed.var_dir, exposed.llm_base_url = tmp_path, "http://127.0.0.1:9"
    Stack(exposed).specs()  # renders the proxy's config
    site = (tmp_path / "run" / "nginx" / "site.conf").read_text()
    assert f"listen 0.0.0.0:{exposed.proxy_port};" in site
    assert exposed.proxy_url == f"http://127.0.0.1:{exposed.proxy_port}"


def test_the_internal_token_reaches_every_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIMED_INTERNAL_TOKEN", "compartido")
    config = StackConfig.from_env()
    config.var_dir, config.llm_base_url = tmp_path, "http://127.0.0.1:9"
    envs = {spec.name: spec.env for spec in Stack(config).specs()}
    for name in ("generator", "scheduler", "gateway"):
        assert envs[name]["AIMED_INTERNAL_TOKEN"] == "compartido", name
    monkeypatch.delenv("AIMED_INTERNAL_TOKEN")
    plain = StackConfig.from_env()
    plain.var_dir, plain.llm_base_url = tmp_path, "http://127.0.0.1:9"
    assert all("AIMED_INTERNAL_TOKEN" not in spec.env for spec in Stack(plain).specs())
