"""A real scheduler process (uvicorn) on a free port, for tests where concurrency matters."""

from __future__ import annotations

from pathlib import Path

from tests.support.process import ServiceProcess


class SchedulerProcess(ServiceProcess):
    def __init__(self, database_url: str, log_path: Path) -> None:
        env = {"AIMED_SCHEDULER_DATABASE_URL": database_url, "AIMED_SCHEDULER_ALLOW_CLOCK_OVERRIDE": "true"}
        super().__init__("aimed_scheduler.main:create_app", env, log_path=log_path)

    def start(self, timeout_s: float = 30.0) -> SchedulerProcess:
        super().start(timeout_s)
        return self
