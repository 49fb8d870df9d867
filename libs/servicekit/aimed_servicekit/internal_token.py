"""The internal trust boundary: with a shared token configured, only callers that send it
(the gateway) reach the scheduler and the generator. Health stays open for probes.

The token is compared in constant time; without one configured, every caller is
trusted, as on a laptop where the services listen on 127.0.0.1 only.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, Field, SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from aimed_contracts.errors import error_envelope

INTERNAL_TOKEN_HEADER = "X-Internal-Token"
OPEN_PATHS = frozenset({"/health"})
_HEADER_KEY = INTERNAL_TOKEN_HEADER.lower().encode("latin-1")


class InternalTokenMiddleware:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        sent = next((value for name, value in scope["headers"] if name == _HEADER_KEY), b"")
        if hmac.compare_digest(sent, self.token):
            await self.app(scope, receive, send)
            return
        problem = "a wrong" if sent else "no"
        response = JSONResponse(
            error_envelope(
                "unauthorized",
                f"This internal service was called with {problem} {INTERNAL_TOKEN_HEADER} header; "
                "only the gateway calls it, with AIMED_INTERNAL_TOKEN set to the same value.",
            ),
            status_code=401,
        )
        await response(scope, receive, send)


def internal_token_setting(service_variable: str) -> Any:
    """The `internal_token: SecretStr | None` setting of a service the gateway calls, read from
    AIMED_INTERNAL_TOKEN (one value for the whole stack) or the service's own variable."""
    return Field(
        default=None,
        validation_alias=AliasChoices("AIMED_INTERNAL_TOKEN", service_variable),
        description="Shared secret the gateway sends as `X-Internal-Token`; set, every route but "
        "/health answers 401 without it. Empty: every caller is trusted (services on 127.0.0.1).",
    )


def require_internal_token(app: FastAPI, token: SecretStr | None) -> None:
    """Guards every route but health when `token` is set (AIMED_INTERNAL_TOKEN)."""
    secret = token.get_secret_value() if token else ""
    if secret:
        app.add_middleware(InternalTokenMiddleware, token=secret)
