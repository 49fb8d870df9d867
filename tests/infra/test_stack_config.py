"""`make run`'s configuration from the environment (infra/stack.py, StackConfig.from_env)."""

from __future__ import annotations

import pytest

from infra.stack import StackConfig

SETTINGS = ("MODEL_PATH", "LLM_BASE_URL", "AIMED_GATEWAY_GENERATION_POLICY", "AIMED_VAR_DIR", "DATABASE_URL")


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
