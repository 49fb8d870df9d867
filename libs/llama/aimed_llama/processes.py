"""Child processes that serve HTTP on loopback: a free port, and the wait until they are healthy.

llama-server (aimed_llama.server), `make run`'s processes (infra/stack.py) and the tests'
service processes all start this way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


class ProcessExited(RuntimeError):
    """The process ended before it became healthy; `code` is its exit status."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exited with code {code}")
        self.code = code


def wait_healthy(
    process: subprocess.Popen[bytes],
    url: str,
    timeout_s: float,
    healthy: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
) -> None:
    """Returns once GET `url` is `healthy`; raises ProcessExited, or TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProcessExited(process.returncode)
        try:
            if healthy(httpx.get(url, timeout=2.0)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} not healthy after {timeout_s:.0f}s")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it is still running after `timeout_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_pid(path: Path) -> int | None:
    """The pid a pid file records, or None when there is none."""
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
