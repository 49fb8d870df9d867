"""Real uvicorn service processes for tests (one app per child process, on a free port)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aimed_llama.processes import ProcessExited, free_port, stop_process, wait_healthy
from tests.support.llama import REPO


class ServiceProcess:
    """One uvicorn app in a child process on a free port, healthy before `start` returns."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        health_path: str = "/health",
        log_path: Path | None = None,
    ) -> None:
        self.app = app
        self.env = env
        self.health_path = health_path
        self.port = free_port()
        # Kept under artifacts/ by default so a failing run can be diagnosed afterwards.
        self.log_path = log_path or REPO / "artifacts" / "tests" / f"{app.split('.')[0]}-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> ServiceProcess:
        command = [sys.executable, "-m", "uvicorn", self.app, "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-access-log"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_healthy(self.process, self.url + self.health_path, timeout_s)
        except ProcessExited:
            raise RuntimeError(
                f"{self.app} exited; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}"
            ) from None
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.app} not healthy after {timeout_s}s; see {self.log_path}") from None
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None
