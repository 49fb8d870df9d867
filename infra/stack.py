"""The local launcher: llama-server, generator, scheduler, gateway and nginx as processes.

Used by `make run` (`python -m infra.stack start`, detached) and by tests (the `Stack`
class on free ports, stopped at the end). Each process gets a port, a log file in one
folder, a pid file, and a health check that must pass before the next one starts.
`LLM_BASE_URL` pointing at an external model server (LM Studio, Ollama, llama-server)
skips the local llama-server; `MODEL_PATH` picks the GGUF it serves (default: the demo).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from aimed_llama.processes import ProcessExited, free_port, pid_alive, port_in_use, read_pid, wait_healthy
from aimed_llama.server import LlamaServer
from aimed_llama.toolchain import demo_model
from infra.nginx.render import nginx_command, write_local_config

REPO = Path(__file__).resolve().parents[1]
PROCESS_ORDER = ("llama", "generator", "scheduler", "gateway", "mcp", "nginx")


@dataclass
class StackConfig:
    """Where everything runs. Defaults are those of `make run` (docs/internal-api.md)."""

    var_dir: Path = REPO / "var"
    proxy_port: int = 8080
    gateway_port: int = 8001
    scheduler_port: int = 8002
    generator_port: int = 8003
    mcp_port: int = 8004
    llama_port: int = 8088
    database_url: str | None = None
    model_path: Path | None = None
    # An external OpenAI-compatible server; when set, no llama-server is started.
    llm_base_url: str | None = None
    llm_backend: str | None = None
    llama_ctx_size: int = 8192
    llama_parallel: int = 2
    llama_threads: int = 2
    generation_policy: str = "strict"
    prefetch_depth: int = 2
    allow_clock_override: bool = False
    # Where the proxy listens: loopback unless the operator opts in (AIMED_BIND_ADDRESS=0.0.0.0).
    bind_address: str = "127.0.0.1"
    # The shared secret between the gateway and the internal services (docs/scaling.md);
    # None: they trust every caller, which only processes on this machine can be.
    internal_token: str | None = None
    frontend_root: Path = REPO / "frontend"
    python: str = sys.executable
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def free_ports(cls, var_dir: Path, **overrides: object) -> StackConfig:
        """A config on free ports under var_dir (for tests and benchmarks)."""
        ports = {
            name: free_port()
            for name in (
                "proxy_port",
                "gateway_port",
                "scheduler_port",
                "generator_port",
                "mcp_port",
                "llama_port",
            )
        }
        return cls(var_dir=var_dir, **{**ports, **overrides})  # type: ignore[arg-type]

    @classmethod
    def from_env(cls) -> StackConfig:
        """`make run`'s config: MODEL_PATH, LLM_BASE_URL, DATABASE_URL, AIMED_VAR_DIR, AIMED_*_PORT."""
        env = os.environ
        config = cls(var_dir=Path(env["AIMED_VAR_DIR"]) if env.get("AIMED_VAR_DIR") else REPO / "var")
        for name in ("proxy", "gateway", "scheduler", "generator", "mcp", "llama"):
            value = env.get(f"AIMED_{name.upper()}_PORT")
            if value:
                setattr(config, f"{name}_port", int(value))
        config.database_url = env.get("DATABASE_URL") or None
        config.model_path = Path(env["MODEL_PATH"]) if env.get("MODEL_PATH") else None
        config.llm_base_url = env.get("LLM_BASE_URL") or None
        config.llm_backend = env.get("LLM_BACKEND") or None
        # The demo model's cards nearly all fail the grounding gate: under `strict` a new user
        # would meet nothing but refusals. With it, cards are served flagged (the UI shows each
        # card's problems); a real model (MODEL_PATH, LLM_BASE_URL) keeps the strict default.
        demo_model = config.model_path is None and config.llm_base_url is None
        config.generation_policy = env.get("AIMED_GATEWAY_GENERATION_POLICY") or (
            "flag" if demo_model else config.generation_policy
        )
        config.prefetch_depth = int(env.get("AIMED_GATEWAY_PREFETCH_DEPTH", config.prefetch_depth))
        config.bind_address = env.get("AIMED_BIND_ADDRESS") or config.bind_address
        config.internal_token = env.get("AIMED_INTERNAL_TOKEN") or None
        return config

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "data"

    @property
    def proxy_url(self) -> str:
        host = "127.0.0.1" if self.bind_address == "0.0.0.0" else self.bind_address
        return f"http://{host}:{self.proxy_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def scheduler_url(self) -> str:
        return f"http://127.0.0.1:{self.scheduler_port}"

    @property
    def generator_url(self) -> str:
        return f"http://127.0.0.1:{self.generator_port}"

    @property
    def model_url(self) -> str:
        return self.llm_base_url or f"http://127.0.0.1:{self.llama_port}"

    @property
    def token_db_path(self) -> Path:
        return self.data_dir / "gateway-tokens.db"

    def gateway_env(self) -> dict[str, str]:
        """The gateway's settings for this stack (also what the CLI needs to create learners)."""
        return {
            "AIMED_GATEWAY_SCHEDULER_URL": self.scheduler_url,
            "AIMED_GATEWAY_GENERATOR_URL": self.generator_url,
            "AIMED_GATEWAY_TOKEN_DB_PATH": str(self.token_db_path),
            "AIMED_GATEWAY_PREFETCH_DEPTH": str(self.prefetch_depth),
            "AIMED_GATEWAY_GENERATION_POLICY": self.generation_policy,
            "AIMED_GATEWAY_ALLOW_CLOCK_OVERRIDE": str(self.allow_clock_override).lower(),
            **self.internal_token_env(),
        }

    def internal_token_env(self) -> dict[str, str]:
        return {"AIMED_INTERNAL_TOKEN": self.internal_token} if self.internal_token else {}


@dataclass
class ProcessSpec:
    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    port: int
    timeout_s: float = 60.0
    healthy: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200


class StackError(RuntimeError):
    """A process did not start or did not become healthy; the message names its log."""


class Stack:
    """Starts and stops the processes of one config; pid files make `stop` work from another process."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    # ---------------------------------------------------------------- specs

    def _uvicorn(self, app: str, port: int) -> list[str]:
        return [
            self.config.python, "-m", "uvicorn", app, "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        ]  # fmt: skip

    def specs(self) -> list[ProcessSpec]:
        c = self.config
        database_url = c.database_url or f"sqlite:///{c.data_dir / 'aimed.db'}"
        specs: list[ProcessSpec] = []
        if c.llm_base_url is None:
            model = c.model_path or demo_model()
            if not model.is_file():
                raise StackError(f"MODEL_PATH={model} is not a file: point it at a .gguf model")
            # aimed_llama's command line; this stack runs it like its other processes (pid file, log).
            llama = LlamaServer(
                model,
                log_path=self.log_file("llama"),
                port=c.llama_port,
                ctx_size=c.llama_ctx_size,
                parallel=c.llama_parallel,
                threads=c.llama_threads,
            )
            specs.append(
                ProcessSpec("llama", llama.command(), {}, llama.health_url, c.llama_port, timeout_s=120.0)
            )
        generator_env = {"AIMED_GENERATOR_LLM_BASE_URL": c.model_url, **c.internal_token_env()}
        if c.llm_backend:
            generator_env["AIMED_GENERATOR_LLM_BACKEND"] = c.llm_backend
        specs += [
            ProcessSpec(
                "generator",
                self._uvicorn("aimed_generator.main:create_app", c.generator_port),
                generator_env,
                f"{c.generator_url}/health",
                c.generator_port,
            ),
            ProcessSpec(
                "scheduler",
                self._uvicorn("aimed_scheduler.main:create_app", c.scheduler_port),
                {
                    "AIMED_SCHEDULER_DATABASE_URL": database_url,
                    "AIMED_SCHEDULER_ALLOW_CLOCK_OVERRIDE": str(c.allow_clock_override).lower(),
                    **c.internal_token_env(),
                },
                f"{c.scheduler_url}/health",
                c.scheduler_port,
            ),
            ProcessSpec(
                "gateway",
                self._uvicorn("aimed_gateway.main:create_app", c.gateway_port),
                c.gateway_env(),
                f"{c.gateway_url}/api/health",
                c.gateway_port,
            ),
            # MCP for the learner's assistants, a client of the gateway (the proxy serves /mcp).
            ProcessSpec(
                "mcp",
                [c.python, "-m", "aimed_mcp.cli", "http"],
                {
                    "AIMED_MCP_API_URL": c.gateway_url,
                    "AIMED_MCP_HOST": "127.0.0.1",
                    "AIMED_MCP_PORT": str(c.mcp_port),
                },
                f"http://127.0.0.1:{c.mcp_port}/health",
                c.mcp_port,
            ),
        ]
        conf = write_local_config(
            c.run_dir / "nginx",
            listen_port=c.proxy_port,
            listen_address=c.bind_address,
            frontend_root=c.frontend_root,
            gateway_upstream=f"127.0.0.1:{c.gateway_port}",
            mcp_upstream=f"127.0.0.1:{c.mcp_port}",
        )
        specs.append(ProcessSpec("nginx", nginx_command(conf), {}, f"{c.proxy_url}/api/health", c.proxy_port))
        return specs

    # ---------------------------------------------------------------- lifecycle

    def pid_file(self, name: str) -> Path:
        return self.config.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.config.log_dir / f"{name}.log"

    def running(self) -> dict[str, int]:
        """Recorded processes that are still alive, by name."""
        alive = {}
        for name in PROCESS_ORDER:
            pid = read_pid(self.pid_file(name))
            if pid is not None and pid_alive(pid):
                alive[name] = pid
        return alive

    def start(self, *, detach: bool = False) -> Stack:
        """Starts every process in order, each healthy before the next; on failure stops what started."""
        c = self.config
        for folder in (c.log_dir, c.run_dir, c.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        already = self.running()
        if already:
            names = ", ".join(f"{n} (pid {p})" for n, p in already.items())
            raise StackError(f"Already running: {names}; run `make stop` first.")
        specs = self.specs()
        busy = [f"{s.name} :{s.port}" for s in specs if port_in_use(s.port)]
        if busy:
            raise StackError(
                f"Ports already in use: {', '.join(busy)}; stop what uses them or set AIMED_*_PORT."
            )
        try:
            for spec in specs:
                self._start_one(spec, detach=detach)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_one(self, spec: ProcessSpec, *, detach: bool) -> None:
        log_path = self.log_file(spec.name)
        env = {**os.environ, **self.config.extra_env, **spec.env, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                spec.command,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal of `make run` does not reach it.
                start_new_session=detach,
            )
        self.processes[spec.name] = process
        self.pid_file(spec.name).write_text(f"{process.pid}\n")
        try:
            wait_healthy(process, spec.health_url, spec.timeout_s, spec.healthy)
        except ProcessExited as exc:
            raise StackError(
                f"{spec.name} exited with code {exc.code}; see {log_path}\n{_tail(log_path)}"
            ) from None
        except TimeoutError:
            raise StackError(
                f"{spec.name} not healthy at {spec.health_url} after {spec.timeout_s:.0f}s; see {log_path}"
            ) from None

    def stop(self, timeout_s: float = 10.0) -> list[str]:
        """Stops every recorded process, last started first; returns the names stopped."""
        return [name for name in reversed(PROCESS_ORDER) if self.stop_process(name, timeout_s)]

    def stop_process(self, name: str, timeout_s: float = 10.0) -> bool:
        """Stops one recorded process (e.g. the generator, to test its absence); True if it was running."""
        pid_file = self.pid_file(name)
        pid = read_pid(pid_file)
        process = self.processes.pop(name, None)
        was_running = pid is not None and pid_alive(pid)
        if pid is not None and was_running:
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, process, timeout_s):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, process, timeout_s)
        pid_file.unlink(missing_ok=True)
        return was_running

    def start_process(self, name: str, *, detach: bool = False) -> None:
        """(Re)starts one process of this stack and waits for its health check."""
        spec = next((s for s in self.specs() if s.name == name), None)
        if spec is None:
            raise StackError(f"{name} is not a process of this stack ({', '.join(PROCESS_ORDER)})")
        if port_in_use(spec.port):
            raise StackError(f"{name} :{spec.port} is already in use; stop it first")
        self._start_one(spec, detach=detach)

    def health(self) -> dict[str, bool]:
        """Each recorded process's health check, by name."""
        result = {}
        for spec_name, url in self._health_urls().items():
            try:
                result[spec_name] = httpx.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                result[spec_name] = False
        return result

    def _health_urls(self) -> dict[str, str]:
        c = self.config
        urls = {
            "generator": f"{c.generator_url}/health",
            "scheduler": f"{c.scheduler_url}/health",
            "gateway": f"{c.gateway_url}/api/health",
            "nginx": f"{c.proxy_url}/api/health",
        }
        if c.llm_base_url is None:
            urls = {"llama": f"http://127.0.0.1:{c.llama_port}/health", **urls}
        return urls

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_gone(pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return True
        else:
            # Not our child (stopped from another `make stop`): poll the pid.
            if not pid_alive(pid):
                return True
        time.sleep(0.1)
    return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.stack", description=__doc__)
    parser.add_argument("command", choices=("start", "stop", "status", "env"))
    args = parser.parse_args(argv)
    stack = Stack(StackConfig.from_env())
    if args.command == "start":
        try:
            stack.start(detach=True)
        except StackError as exc:
            print(f"stack: {exc}", file=sys.stderr)
            return 1
        for name, pid in stack.running().items():
            print(f"started {name} (pid {pid}), log {stack.log_file(name)}")
    elif args.command == "stop":
        stopped = stack.stop()
        print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    elif args.command == "status":
        health = stack.health()
        for name, ok in health.items():
            print(f"{name:10} {'healthy' if ok else 'DOWN'}")
        return 0 if all(health.values()) else 1
    else:
        c = stack.config
        for key, value in {
            **c.gateway_env(),
            "AIMED_PROXY_URL": c.proxy_url,
            "AIMED_GATEWAY_URL": c.gateway_url,
        }.items():
            print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
