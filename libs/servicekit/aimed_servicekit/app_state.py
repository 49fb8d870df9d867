"""What a service's lifespan put on `app.state` (settings, clients, limiter…), as FastAPI dependencies."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request


def from_app_state(name: str) -> Any:
    """`Depends` on `request.app.state.<name>`, for a typed alias:
    `SettingsDep = Annotated[Settings, from_app_state("settings")]`."""

    def read(request: Request) -> Any:
        return getattr(request.app.state, name)

    read.__name__ = f"get_{name}"
    return Depends(read)
