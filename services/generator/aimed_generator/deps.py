"""Typed accessors for what the lifespan put on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aimed_cardgen import CardGenerator, SlotLimiter
from aimed_cardgen.model_server import ModelBackend
from aimed_generator.config import Settings
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.progress import ProgressBoard
from aimed_servicekit.app_state import from_app_state


def get_progress(request: Request) -> ProgressBoard:
    """The generations being followed (made on first use: only `/v1/cards` and its readers need it)."""
    board: ProgressBoard | None = getattr(request.app.state, "progress", None)
    if board is None:
        board = request.app.state.progress = ProgressBoard()
    return board


SettingsDep = Annotated[Settings, from_app_state("settings")]
GeneratorDep = Annotated[CardGenerator, from_app_state("generator")]
BackendDep = Annotated[ModelBackend, from_app_state("backend")]
LimiterDep = Annotated[SlotLimiter, from_app_state("limiter")]
MetricsDep = Annotated[GeneratorMetrics, from_app_state("metrics")]
ProgressDep = Annotated[ProgressBoard, Depends(get_progress)]
