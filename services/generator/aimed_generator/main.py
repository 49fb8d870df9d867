"""The generator service: `uvicorn aimed_generator.main:create_app --factory`."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from aimed_cardgen import SlotLimiter, open_generator
from aimed_cardgen.model_server import ModelBackend
from aimed_contracts.errors import ServiceError
from aimed_generator.config import Settings, get_settings
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.routes import cards, health, metrics, validate
from aimed_servicekit.errors import install_error_handlers
from aimed_servicekit.internal_token import require_internal_token
from aimed_servicekit.logs import configure_logging

log = logging.getLogger("aimed.generator")


def _route_template(request: Request) -> str:
    # Label by template, never by raw path: unknown paths must not grow the metrics.
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def create_app(settings: Settings | None = None, *, backend: ModelBackend | None = None) -> FastAPI:
    """`backend` replaces the one the settings name (unit tests pass a scripted fake)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limiter = SlotLimiter(settings.llm_slots, settings.max_queue, settings.queue_timeout_s)
        metrics = GeneratorMetrics(limiter)
        async with open_generator(
            settings.generator_config(), backend=backend, admission=limiter, metrics=metrics
        ) as generator:
            app.state.settings = settings
            app.state.backend = generator.backend
            app.state.limiter = limiter
            app.state.metrics = metrics
            app.state.generator = generator
            try:
                limiter.resize((await app.state.backend.info()).slots)
            except ServiceError as exc:
                # Not fatal: the generator starts before llama-server in compose and
                # learns the slot count on the first request.
                log.warning("model server not ready at startup: %s", exc.message)
            yield

    app = FastAPI(
        title="AI-Med generator",
        version="0.1.0",
        description="Grounded BattleCards and Drills from an OpenAI-compatible model server.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    require_internal_token(app, settings.internal_token)

    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        app.state.metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        app.state.metrics.latency.labels(route).observe(time.perf_counter() - start)
        return response

    app.include_router(cards.router)
    app.include_router(validate.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app
