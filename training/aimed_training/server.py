"""A llama-server child process serving one GGUF, for `eval` (aimed_llama's launcher, stopped by us)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aimed_llama.server import LlamaServer


@contextmanager
def serve_gguf(
    model: Path,
    *,
    ctx_size: int,
    parallel: int = 1,
    threads: int | None = None,
    log_path: Path,
    timeout_s: float = 120.0,
) -> Iterator[str]:
    """Yield the URL of a llama-server on `model`, `ctx_size` tokens a slot; its log stays at `log_path`."""
    server = LlamaServer(
        model,
        log_path=log_path,
        ctx_size=ctx_size * parallel,
        parallel=parallel,
        threads=threads or os.cpu_count() or 2,
    )
    server.start(timeout_s)
    try:
        yield server.url
    finally:
        server.stop()
