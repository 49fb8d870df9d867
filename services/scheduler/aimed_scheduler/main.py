"""The scheduler's FastAPI application: `create_app()` and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from aimed_scheduler.config import Settings, get_settings
from aimed_scheduler.db import make_engine, migrate
from aimed_scheduler.routes import angles, backup, cards, guidelines, learners, stats, study, temario, topics
from aimed_servicekit.errors import install_error_handlers
from aimed_servicekit.internal_token import require_internal_token
from aimed_servicekit.logs import configure_logging


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        engine = make_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        await run_in_threadpool(migrate, engine)
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="AI-Med scheduler",
        version="0.1.0",
        description="System of record: learners, topics, contexts, angles, cards, SRS state, reviews.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    require_internal_token(app, settings.internal_token)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (learners, topics, guidelines, study, angles, cards, stats, backup, temario):
        app.include_router(module.router, prefix="/v1")
    return app
