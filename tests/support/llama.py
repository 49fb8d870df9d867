"""Starts real llama-server processes for tests (the binary from infra/llama/build.sh)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def llama_bin() -> Path:
    env = os.environ.get("AIMED_LLAMA_BIN")
    if env:
        return Path(env)
    out = subprocess.run(
        ["bash", str(REPO / "infra/llama/build.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def demo_model() -> Path:
    env = os.environ.get("AIMED_DEMO_MODEL")
    if env:
        return Path(env)
    out = subprocess.run(
        ["bash", str(REPO / "infra/llama/fetch_model.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


class LlamaServer:
    """A llama-server child process on a free port; `url` is its base URL."""

    def __init__(
        self,
        model: Path | None = None,
        *,
        ctx_size: int = 4096,
        parallel: int = 2,
        threads: int = 2,
        extra_args: list[str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.model = model or demo_model()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ctx_size = ctx_size
        self.parallel = parallel
        self.threads = threads
        self.extra_args = extra_args or []
        self.log_path = log_path or REPO / "artifacts" / f"llama-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90.0) -> LlamaServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(llama_bin() / "llama-server"),
            "-m", str(self.model),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--ctx-size", str(self.ctx_size),
            "--parallel", str(self.parallel),
            "--threads", str(self.threads),
            *self.extra_args,
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-server exited early; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama-server not healthy after {timeout_s}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
