"""Learners of a running stack (infra/stack.py), created as `make run` creates its learner."""

from __future__ import annotations

import os
import subprocess

from infra.stack import StackConfig
from tests.support.llama import REPO


def create_learner(config: StackConfig, name: str) -> tuple[int, str]:
    """`aimed-gateway create-learner` against the stack's scheduler and token store: (id, token)."""
    id_file = config.var_dir / f"learner-{name}.id"
    created = subprocess.run(
        [str(REPO / ".venv/bin/aimed-gateway"), "create-learner", "--name", name, "--id-file", str(id_file)],
        env={**os.environ, **config.gateway_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return int(id_file.read_text().strip()), created.stdout.strip().splitlines()[-1]
