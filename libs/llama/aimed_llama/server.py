"""A llama-server child process on one GGUF: its command line, start, health wait and stop."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aimed_llama.processes import HOST, ProcessExited, free_port, stop_process, wait_healthy
from aimed_llama.toolchain import llama_bin


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

    def start(self, timeout_s: float = 120.0, *, detach: bool = False) -> LlamaServer:
        """Starts the process and returns once /health answers 200 (loading a model takes a while).

        `detach`: in its own session, so it outlives a terminal's Ctrl-C (`make llama-start`).
        """
        if not self.model.is_file():
            raise FileNotFoundError(f"model file {self.model} does not exist")
        command = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=detach
            )
        try:
            wait_healthy(self.process, self.health_url, timeout_s)
        except ProcessExited as exc:
            self.process = None
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise LlamaServerError(
                f"llama-server exited with {exc.code} loading {self.model}; see {self.log_path}:\n{tail}"
            ) from None
        except TimeoutError:
            self.stop()
            message = f"llama-server not healthy after {timeout_s:.0f}s; see {self.log_path}"
            raise TimeoutError(message) from None
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process is not None:
            stop_process(self.process, timeout_s)
        self.process = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
