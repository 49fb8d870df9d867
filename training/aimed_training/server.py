"""A llama-server child process serving one GGUF, for `eval` (started and stopped by us)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from aimed_training.toolchain import llama_bin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    """Yield the base URL of a llama-server on `model`; the log stays at `log_path`."""
    if not model.is_file():
        raise FileNotFoundError(f"model file {model} does not exist")
    port = _free_port()
    command = [
        str(llama_bin() / "llama-server"),
        "-m", str(model),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--ctx-size", str(ctx_size * parallel),
        "--parallel", str(parallel),
        "--threads", str(threads or os.cpu_count() or 2),
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"llama-server exited with {process.returncode} loading {model}:\n{tail}")
            try:
                if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"llama-server did not become healthy in {timeout_s:.0f}s (log: {log_path})"
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
