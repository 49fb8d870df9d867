"""Typed accessors for what the lifespan put on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aimed_cardgen import CardGenerator, SlotLimiter
from aimed_cardgen.model_server import ModelBackend
from aimed_generator.config import Settings
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.progress import ProgressBoard


def get_generator(request: Request) -> CardGenerator:
    generator: CardGenerator = request.app.state.generator
    return generator


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_backend(request: Request) -> ModelBackend:
    backend: ModelBackend = request.app.state.backend
    return backend


def get_limiter(request: Request) -> SlotLimiter:
    limiter: SlotLimiter = request.app.state.limiter
    return limiter


def get_metrics(request: Request) -> GeneratorMetrics:
    metrics: GeneratorMetrics = request.app.state.metrics
    return metrics


def get_progress(request: Request) -> ProgressBoard:
    """The generations being followed (made on first use: only `/v1/cards` and its readers need it)."""
    board: ProgressBoard | None = getattr(request.app.state, "progress", None)
    if board is None:
        board = request.app.state.progress = ProgressBoard()
    return board


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
GeneratorDep = Annotated[CardGenerator, Depends(get_generator)]
BackendDep = Annotated[ModelBackend, Depends(get_backend)]
LimiterDep = Annotated[SlotLimiter, Depends(get_limiter)]
MetricsDep = Annotated[GeneratorMetrics, Depends(get_metrics)]
ProgressDep = Annotated[ProgressBoard, Depends(get_progress)]
