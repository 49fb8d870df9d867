"""Finding the learner's own model (infra/model_probe.py), with a real llama-server.

The probe's port list is injected: a real llama-server with the demo GGUF on a free
port, a port with nothing on it, a server that answers garbage, and one that accepts
the connection and never answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.model_probe import (
    Choice,
    FoundServer,
    ProbeError,
    choose,
    default_choice,
    is_instruct,
    is_tiny,
    parameter_count,
    probe,
)
from tests.support.llama import LlamaServer, free_port

REPO = Path(__file__).resolve().parents[2]


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>no es una lista de modelos</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def _server(*models: str, name: str = "Ollama") -> FoundServer:
    return FoundServer(name, "http://127.0.0.1:11434", "openai", models)


def test_sizes_and_instruct_are_read_from_the_names() -> None:
    assert parameter_count("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf") == 8e9
    assert parameter_count("llama3.1:8b") == 8e9
    assert parameter_count("qwen2.5:0.5b-instruct") == 0.5e9
    assert parameter_count("SmolLM2-135M-Instruct") == 135e6
    assert parameter_count("mistral") is None
    assert is_instruct("Qwen2.5-7B-Instruct") and is_instruct("gemma-2-9b-it")
    assert not is_instruct("llama3.1:8b") and not is_instruct("nomic-embed-text")
    assert is_tiny("SmolLM2-135M-Instruct") and not is_tiny("llama3.1:8b")


def test_the_default_is_the_largest_instruct_model() -> None:
    found = [
        _server("llama3.1:70b", "qwen2.5:0.5b-instruct", "nomic-embed-text"),
        _server("Qwen2.5-7B-Instruct", "gemma-2-9b-it", name="LM Studio"),
    ]
    choice = default_choice(found)
    assert choice is not None and choice.model == "gemma-2-9b-it"
    assert choice.server.name == "LM Studio"
    assert default_choice([]) is None


def test_a_named_model_wins_demo_keeps_the_demo_and_an_unknown_name_lists_the_models() -> None:
    found = [_server("llama3.1:8b-instruct-q4_K_M", "qwen2.5:7b-instruct")]
    assert choose(found, "qwen2.5:7b-instruct") == Choice(found[0], "qwen2.5:7b-instruct")
    assert choose(found, "llama3.1") == Choice(found[0], "llama3.1:8b-instruct-q4_K_M")
    assert choose(found, "demo") is None
    with pytest.raises(ProbeError, match=r"no server has it.*qwen2\.5:7b-instruct \(Ollama\)"):
        choose(found, "mixtral")
    with pytest.raises(ProbeError, match="several models match"):
        choose(found, "instruct")
    # On a terminal the learner picks; here the answer is the second model.
    assert choose(found, None, lambda options, default: options[1]).model == "qwen2.5:7b-instruct"


@pytest.mark.llama
def test_a_real_llama_server_is_found_and_the_rest_skipped_with_a_reason(
    llama_server: LlamaServer, garbage_port: int, silent_port: int
) -> None:
    nothing = free_port()
    found, skipped = probe(
        [
            ("llama-server", llama_server.port),
            ("nada", nothing),
            ("basura", garbage_port),
            ("muda", silent_port),
        ],
        timeout_s=0.5,
    )
    assert [(s.name, s.base_url, s.backend) for s in found] == [
        ("llama-server", llama_server.url, "llama_server")
    ]
    assert len(found[0].models) == 1 and "SmolLM2" in found[0].models[0]
    reasons = {s.name: s.reason for s in skipped}
    assert set(reasons) == {"basura", "muda"}  # nothing listens on `nada`: not a skip, silence
    assert "did not answer an OpenAI model list" in reasons["basura"]
    assert "no answer to GET /v1/models within 0.5 s" in reasons["muda"]


def _run_probe(ports: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MODEL_PATH", "LLM_BASE_URL", "AIMED_MODEL")}
    return subprocess.run(
        [sys.executable, "-m", "infra.model_probe", "--ports", ports],
        cwd=REPO,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.llama
def test_make_runs_probe_exports_the_found_model_and_says_how_to_change_it(
    llama_server: LlamaServer, garbage_port: int
) -> None:
    result = _run_probe(f"llama-server:{llama_server.port},basura:{garbage_port}")
    assert result.returncode == 0, result.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    assert exports["LLM_BASE_URL"] == llama_server.url
    assert exports["LLM_BACKEND"] == "llama_server"
    assert "SmolLM2" in exports["AIMED_GENERATOR_LLM_MODEL"]
    assert f"Found llama-server at {llama_server.url}" in result.stderr
    assert "Skipped basura" in result.stderr
    assert "To change it: AIMED_MODEL=<name> make run" in result.stderr
    assert "This is a tiny model" in result.stderr


@pytest.mark.llama
def test_aimed_model_demo_or_an_unknown_name(llama_server: LlamaServer) -> None:
    demo = _run_probe(str(llama_server.port), AIMED_MODEL="demo")
    assert demo.returncode == 0 and demo.stdout == ""
    assert "the tiny demo model" in demo.stderr
    unknown = _run_probe(str(llama_server.port), AIMED_MODEL="llama3.1:70b")
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "AIMED_MODEL=llama3.1:70b: no server has it" in unknown.stderr


def test_nothing_found_means_the_demo_model_said_so() -> None:
    result = _run_probe(str(free_port()))
    assert result.returncode == 0 and result.stdout == ""
    assert "No model server found on ports" in result.stderr
    assert "the tiny demo model" in result.stderr


def test_model_path_or_llm_base_url_means_no_search() -> None:
    result = _run_probe(str(free_port()), LLM_BASE_URL="http://127.0.0.1:1")
    assert result.returncode == 0 and result.stdout == ""
    assert "no search for other servers" in result.stderr
