"""The gateway app: the only public API (`/api/v1`), OpenAPI at `/api/docs`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request

from aimed_contracts.errors import ServiceError
from aimed_gateway.config import Settings, get_settings
from aimed_gateway.prefetch import Prefetcher
from aimed_gateway.routes import backup, learner, study, topics
from aimed_gateway.schemas import DependencyHealth, HealthPublic
from aimed_gateway.tokens import TokenStore
from aimed_gateway.upstream import Generator, Scheduler, ServiceClient
from aimed_servicekit.errors import install_error_handlers
from aimed_servicekit.logs import configure_logging


async def _probe(client: ServiceClient) -> DependencyHealth:
    try:
        await client.get_json("/health", timeout_s=3.0)
    except ServiceError as exc:
        return DependencyHealth(name=client.name, ok=False, detail=exc.message)
    return DependencyHealth(name=client.name, ok=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        app.state.settings = settings
        app.state.tokens = TokenStore(settings.token_db_path)
        app.state.scheduler = Scheduler(settings.scheduler_url, settings.scheduler_timeout_s)
        app.state.generator = Generator(settings.generator_url, settings.generator_timeout_s)
        app.state.prefetcher = Prefetcher(app.state.scheduler, app.state.generator, settings)
        yield
        await app.state.prefetcher.drain()
        await app.state.scheduler.aclose()
        await app.state.generator.aclose()

    app = FastAPI(
        title="AI-Med Learning API",
        version="1.0.0",
        description="The public API of AI-Med Learning. Authenticate with `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(app)

    @app.get("/api/health", response_model=HealthPublic, tags=["health"])
    async def health(request: Request) -> HealthPublic:
        """The gateway answers; `dependencies` says whether the scheduler and generator do."""
        deps = [await _probe(request.app.state.scheduler), await _probe(request.app.state.generator)]
        return HealthPublic(status="ok" if all(d.ok for d in deps) else "degraded", dependencies=deps)

    api = APIRouter(prefix="/api/v1")
    api.include_router(study.router)
    api.include_router(topics.router)
    api.include_router(learner.router)
    api.include_router(backup.router)
    app.include_router(api)
    return app
