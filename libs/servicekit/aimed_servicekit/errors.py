"""Maps typed errors and validation failures to the shared error envelope.

Every service calls `install_error_handlers(app)`: no route builds an error by hand,
and no response ever carries a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aimed_contracts.errors import ErrorEnvelope, ServiceError, error_envelope

log = logging.getLogger("aimed.errors")

# For `responses=` on routes, so OpenAPI shows the envelope.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (401, 404, 409, 413, 422, 503, 504)
}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in jsonable_encoder(exc.errors())
    ]


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app fully matches on this path.

    Asked of the routes themselves (`matches`, public on every route and included router),
    since Starlette's own Allow header names only the first route that matched the path.
    """
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


class UnexpectedErrorMiddleware:
    """Answers an unhandled exception with the 500 envelope, and the connection stays usable.

    Starlette's own last-resort handler answers and then re-raises, and uvicorn closes a
    connection whose app raised: a client that pools connections (the gateway) would
    send its next request on a socket the server is closing and get a false 503.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise  # half an answer is on the wire: only closing the connection ends it
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = JSONResponse(
                error_envelope("internal_error", "Unexpected server error; see the service log."),
                status_code=500,
            )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(UnexpectedErrorMiddleware)

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(exc.envelope(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = _validation_detail(exc)
        where = "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in detail)
        return JSONResponse(
            error_envelope("invalid_input", f"The request is invalid: {where}", detail),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI and Starlette raise 400 only for a body they cannot parse (bytes that
            # are not UTF-8, a broken multipart form): the same failure as malformed JSON,
            # so the same documented answer.
            reason = str(exc.__cause__ or exc.detail)
            return JSONResponse(
                error_envelope(
                    "invalid_input",
                    f"The request body could not be read ({reason}); send UTF-8 JSON, "
                    "or the format the route documents.",
                    [{"loc": ["body"], "msg": reason, "type": "body_unreadable"}],
                ),
                status_code=422,
            )
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            return JSONResponse(
                error_envelope(
                    "method_not_allowed",
                    f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.",
                    {"allowed": allowed},
                ),
                status_code=405,
                headers={"Allow": ", ".join(allowed)},
            )
        kind = {404: "not_found", 401: "unauthorized"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_envelope(kind, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
