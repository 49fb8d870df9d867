"""The gateway app: the only public API (`/api/v1`), OpenAPI at `/api/docs`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from aimed_contracts.errors import ErrorEnvelope, ServiceError
from aimed_gateway.config import Settings, get_settings
from aimed_gateway.model_health import check_model
from aimed_gateway.prefetch import Prefetcher
from aimed_gateway.routes import backup, guidelines, learner, study, temario, topics
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.schemas import DependencyHealth, HealthPublic, ModelHealth
from aimed_gateway.tokens import TokenStore
from aimed_gateway.upstream import Generator, ServiceClient
from aimed_servicekit.errors import install_error_handlers
from aimed_servicekit.logs import configure_logging

# Swagger UI under the proxy's CSP (`script-src 'self'`, no inline script): its files are
# the static frontend's (frontend/vendor/swagger-ui, vendored from npm) and it starts from
# frontend/js/api-docs.js. FastAPI's own page links a CDN and starts inline: refused.
API_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>AI-Med Learning API</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
  <script src="/vendor/swagger-ui/swagger-ui-bundle.js" defer></script>
  <script src="/js/api-docs.js" defer></script>
</head>
<body>
  <noscript>The API reference needs JavaScript; the raw document is at /api/openapi.json.</noscript>
  <div id="swagger-ui"></div>
</body>
</html>
"""


# What nginx answers itself in front of every route (infra/nginx/site.conf.template), in
# the same envelope: declared so the document lists every status a client can meet.
PROXY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "The proxy could not read the request."},
    408: {"model": ErrorEnvelope, "description": "The body did not reach the proxy in time."},
    414: {"model": ErrorEnvelope, "description": "The URL is longer than the proxy accepts."},
    502: {"model": ErrorEnvelope, "description": "The gateway is down, or a service answered badly."},
}


async def _probe(client: ServiceClient) -> DependencyHealth:
    try:
        await client.get_json("/health", timeout_s=3.0)
    except ServiceError as exc:
        return DependencyHealth(name=client.name, ok=False, detail=exc.message)
    return DependencyHealth(name=client.name, ok=True)


async def _no_store(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    # Answers carry a learner's data and change with every review: no cache may keep them.
    response = await call_next(request)
    response.headers["Cache-Control"] = "no-store"
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        app.state.settings = settings
        app.state.tokens = TokenStore(settings.token_db_path)
        token = settings.internal_token_value
        app.state.scheduler = SchedulerClient(settings.scheduler_url, settings.scheduler_timeout_s, token)
        app.state.generator = Generator(settings.generator_url, settings.generator_timeout_s, token)
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
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(app)
    app.middleware("http")(_no_store)

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        """Swagger UI for this API, rendered through the proxy (which serves its files)."""
        return HTMLResponse(API_DOCS_HTML)

    @app.get("/api/health", response_model=HealthPublic, tags=["health"])
    async def health(request: Request) -> HealthPublic:
        """`ok` when the scheduler, the generator and the model answer; `degraded` says which does not."""
        scheduler = await _probe(request.app.state.scheduler)
        model = await check_model(request.app.state.generator, timeout_s=3.0)
        generator = DependencyHealth(name="generator", ok=model.generator_reachable, detail=model.problem)
        everything = scheduler.ok and model.available
        return HealthPublic(
            status="ok" if everything else "degraded",
            dependencies=[scheduler, generator],
            model=ModelHealth(available=model.available, name=model.name),
        )

    api = APIRouter(prefix="/api/v1", responses=PROXY_RESPONSES)
    api.include_router(study.router)
    api.include_router(topics.router)
    api.include_router(learner.router)
    api.include_router(backup.router)
    api.include_router(guidelines.router)
    api.include_router(temario.router)
    app.include_router(api)
    return app
