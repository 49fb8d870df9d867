"""A llama-server child process on one GGUF: its command line, start, health wait and stop."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

from aimed_llama.toolchain import llama_bin

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


class LlamaServerError(RuntimeError):
    """llama-server exited before it became healthy; the message carries the end of its log."""


class LlamaServer:
    """llama-server on `model` at `url`; `ctx_size` is the whole context, shared by `parallel` slots.

    `start()` waits for /health and `stop()` ends the process; as a context manager it does both.
    Callers that manage processes themselves (infra/stack.py) take `command()` and `health_url`.
    """

    def __init__(
        self,
        model: Path,
        *,
        log_path: Path,
        port: int | None = None,
        ctx_size: int = 4096,
        parallel: int = 2,
        threads: int = 2,
        extra_args: list[str] | None = None,
    ) -> None:
        self.model = model
        self.log_path = log_path
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.health_url = f"{self.url}/health"
        self.ctx_size = ctx_size
        self.parallel = parallel
        self.threads = threads
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            str(llama_bin() / "llama-server"),
            "-m", str(self.model),
            "--host", HOST,
            "--port", str(self.port),
            "--ctx-size", str(self.ctx_size),
            "--parallel", str(self.parallel),
            "--threads", str(self.threads),
            *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout_s: float = 120.0) -> LlamaServer:
        """Starts the process and returns once /health answers 200 (loading a model takes a while)."""
        if not self.model.is_file():
            raise FileNotFoundError(f"model file {self.model} does not exist")
        command = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise LlamaServerError(
                    f"llama-server exited with {code} loading {self.model}; see {self.log_path}:\n{tail}"
                )
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"llama-server not healthy after {timeout_s:.0f}s; see {self.log_path}")

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
