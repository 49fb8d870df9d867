"""What the public API says about the model: whether it can generate now, and its name.

Never a path or an address on the server: llama-server reports its model by the GGUF's
full path, and the learner needs only the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aimed_contracts.errors import ServiceError
from aimed_gateway.upstream import Generator


@dataclass(frozen=True)
class ModelCheck:
    generator_reachable: bool
    available: bool
    name: str | None
    problem: str | None = None


def model_name(model_id: object) -> str | None:
    """The last segment of a model id (a path on the model server, or a plain name)."""
    if not isinstance(model_id, str):
        return None
    return re.split(r"[\\/]", model_id.strip())[-1] or None


async def check_model(generator: Generator, timeout_s: float = 5.0) -> ModelCheck:
    """Asks the generator's health, which asks the model server behind it."""
    try:
        health = await generator.get_json("/health", timeout_s=timeout_s)
    except ServiceError as exc:
        return ModelCheck(generator_reachable=False, available=False, name=None, problem=exc.message)
    backend = health.get("backend") or {}
    available = health.get("status") == "ok"
    return ModelCheck(
        generator_reachable=True,
        available=available,
        name=model_name(backend.get("model_id")),
        problem=None if available else "the model server is not answering",
    )
