"""Real llama-server processes for tests: aimed_llama's launcher on the demo GGUF, logs under artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimed_llama.processes import free_port
from aimed_llama.server import LlamaServer as _LlamaServer
from aimed_llama.toolchain import demo_model

REPO = Path(__file__).resolve().parents[2]

__all__ = ["REPO", "LlamaServer", "demo_model", "free_port"]


class LlamaServer(_LlamaServer):
    """A llama-server child process on a free port (default: the demo GGUF); `url` is its base URL."""

    def __init__(self, model: Path | None = None, *, log_path: Path | None = None, **options: Any) -> None:
        """`options`: aimed_llama's ctx_size, parallel, threads and extra_args."""
        port = free_port()
        # Kept under artifacts/ so a failing run can be diagnosed afterwards.
        log_path = log_path or REPO / "artifacts" / f"llama-{port}.log"
        super().__init__(model or demo_model(), log_path=log_path, port=port, **options)
