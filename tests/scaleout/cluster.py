"""A scaled-out deployment on one machine: N schedulers and N gateways behind one nginx, one PostgreSQL.

Every part is the real program: each service is its own uvicorn process (the command
infra/stack.py uses), nginx is rendered from infra/nginx/site.conf.template with its
single gateway address swapped for a round-robin upstream group, and the database is a
fresh PostgreSQL database. Gateway i talks to scheduler i, so two requests that reach
different gateways also reach different scheduler processes, and only the database can
keep them consistent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.nginx.render import nginx_command, write_local_config
from tests.support.llama import free_port

REPO = Path(__file__).resolve().parents[2]
# The site template takes one host:port; this stand-in is replaced by the upstream group.
_STAND_IN = "scaleout-gateways:1"
UPSTREAM_GROUP = "aimed_gateways"
UPSTREAM_LOG = "upstreams.log"


class ClusterError(RuntimeError):
    """A process did not start or did not become healthy; the message carries its log tail."""


def _service_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without any AI-Med setting, plus this process's own settings.

    A developer's exported DATABASE_URL or AIMED_* variable must not leak into the cluster.
    """
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AIMED_") and key not in ("DATABASE_URL", "LLM_BASE_URL")
    }
    return {**inherited, **extra, "PYTHONUNBUFFERED": "1"}


def _uvicorn(app: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip


@dataclass
class ServiceProcess:
    """One child process with a log file and an HTTP health check."""

    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait_healthy(self, deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ClusterError(
                    f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ClusterError(f"{self.name} not healthy at {self.health_url}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def write_balanced_proxy(runtime_dir: Path, *, listen_port: int, gateways: list[str]) -> Path:
    """The production site config with its gateway replaced by a round-robin upstream of `gateways`.

    Also logs `status upstream_addr uri` per request to runtime_dir/upstreams.log, so the
    test can see which gateway served what.
    """
    conf = write_local_config(
        runtime_dir, listen_port=listen_port, frontend_root=REPO / "frontend", gateway_upstream=_STAND_IN
    )
    site_path = conf.parent / "site.conf"
    site = site_path.read_text(encoding="utf-8")
    # One line per API location (the backup's and the temario's carry their own body limits).
    stand_in = f"proxy_pass http://{_STAND_IN};"
    if stand_in not in site:
        raise ClusterError(f"infra/nginx/site.conf.template no longer has a '{stand_in}' line")
    servers = "".join(f"    server {address};\n" for address in gateways)
    upstream = (
        f"upstream {UPSTREAM_GROUP} {{\n{servers}    keepalive 16;\n}}\n"
        "log_format upstreams '$status $upstream_addr $request_method $uri';\n"
        f"access_log {conf.parent / UPSTREAM_LOG} upstreams;\n"
    )
    site_path.write_text(
        upstream + site.replace(stand_in, f"proxy_pass http://{UPSTREAM_GROUP};"), encoding="utf-8"
    )
    return conf


@dataclass
class Cluster:
    """`replicas` schedulers and gateways (gateway i → scheduler i) behind one nginx."""

    database_url: str
    work_dir: Path
    replicas: int = 2
    allow_clock_override: bool = True
    proxy_port: int = field(default_factory=free_port)
    scheduler_ports: list[int] = field(default_factory=list)
    gateway_ports: list[int] = field(default_factory=list)
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def scheduler_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.scheduler_ports]

    @property
    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    @property
    def token_db_path(self) -> Path:
        # One token file for every gateway: they share credentials the way they share the database.
        return self.work_dir / "data" / "gateway-tokens.db"

    @property
    def nginx_dir(self) -> Path:
        return self.work_dir / "nginx"

    def _scheduler(self, index: int) -> ServiceProcess:
        port = self.scheduler_ports[index]
        return ServiceProcess(
            name=f"scheduler-{index}",
            command=_uvicorn("aimed_scheduler.main:create_app", port),
            env=_service_env(
                {
                    "AIMED_SCHEDULER_DATABASE_URL": self.database_url,
                    "AIMED_SCHEDULER_ALLOW_CLOCK_OVERRIDE": str(self.allow_clock_override).lower(),
                }
            ),
            health_url=f"http://127.0.0.1:{port}/health",
            log_path=self.work_dir / "log" / f"scheduler-{index}.log",
            cwd=self.work_dir,
        )

    def _gateway(self, index: int, generator_url: str) -> ServiceProcess:
        port = self.gateway_ports[index]
        return ServiceProcess(
            name=f"gateway-{index}",
            command=_uvicorn("aimed_gateway.main:create_app", port),
            env=_service_env(
                {
                    "AIMED_GATEWAY_SCHEDULER_URL": self.scheduler_urls[index],
                    "AIMED_GATEWAY_GENERATOR_URL": generator_url,
                    "AIMED_GATEWAY_TOKEN_DB_PATH": str(self.token_db_path),
                    # Cards are stored before they are needed (see the test's docstring), so
                    # background generation has nothing to do; a missing card answers at once.
                    "AIMED_GATEWAY_PREFETCH_DEPTH": "0",
                    "AIMED_GATEWAY_NEXT_WAIT_S": "1",
                    "AIMED_GATEWAY_ALLOW_CLOCK_OVERRIDE": str(self.allow_clock_override).lower(),
                }
            ),
            health_url=f"http://127.0.0.1:{port}/api/health",
            log_path=self.work_dir / "log" / f"gateway-{index}.log",
            cwd=self.work_dir,
        )

    def start(self, timeout_s: float = 90.0) -> Cluster:
        """Starts the schedulers together (they migrate the fresh database concurrently), then the rest."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.scheduler_ports = [free_port() for _ in range(self.replicas)]
        self.gateway_ports = [free_port() for _ in range(self.replicas)]
        # Nothing listens there: any attempt to generate a card would surface as a non-ready answer.
        generator_url = f"http://127.0.0.1:{free_port()}"
        deadline = time.monotonic() + timeout_s
        try:
            schedulers = [self._scheduler(i) for i in range(self.replicas)]
            self._start_together(schedulers, deadline)
            gateways = [self._gateway(i, generator_url) for i in range(self.replicas)]
            self._start_together(gateways, deadline)
            conf = write_balanced_proxy(
                self.nginx_dir,
                listen_port=self.proxy_port,
                gateways=[f"127.0.0.1:{port}" for port in self.gateway_ports],
            )
            nginx = ServiceProcess(
                name="nginx",
                command=nginx_command(conf),
                env=_service_env({}),
                health_url=f"{self.proxy_url}/api/health",
                log_path=self.work_dir / "log" / "nginx.log",
                cwd=self.work_dir,
            )
            self._start_together([nginx], deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_together(self, processes: list[ServiceProcess], deadline: float) -> None:
        for process in processes:
            self.processes.append(process)
            process.start()
        for process in processes:
            process.wait_healthy(deadline)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def service_logs(self) -> dict[str, str]:
        return {p.name: p.log_text() for p in self.processes if p.name != "nginx"}

    def upstream_log(self) -> list[tuple[int, str, str, str]]:
        """(status, upstream address, method, uri) for every request nginx has logged."""
        path = self.nginx_dir / UPSTREAM_LOG
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            status, upstream, method, uri = line.split(" ", 3)
            rows.append((int(status), upstream, method, uri))
        return rows

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
