"""aimed-mcp over streamable HTTP (`/mcp`), for the proxy to forward to.

Each request must carry the learner's `Authorization: Bearer <token>`; it is checked against
the public API (`GET /api/v1/me`) before the MCP layer sees the request, so a missing or
wrong token is a plain 401, and the tools then call the API with that same token.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from aimed_mcp.api import GatewayApi
from aimed_mcp.config import Settings
from aimed_mcp.server import build_server

MCP_PATH = "/mcp"
HEALTH_PATH = "/health"


class BearerAuth:
    """Pure ASGI (no response buffering, so MCP's event streams pass untouched)."""

    def __init__(self, app: ASGIApp, api: GatewayApi) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _reject(
                send, 401, "Missing token: send 'Authorization: Bearer <token>' (the learner's API token)."
            )
            return
        try:
            await self.api.call("GET", "/me", token.strip())
        except ToolError as exc:
            # The API's own refusal (401 for an unknown token) or its absence (502).
            status = 401 if "(401 " in str(exc) else 502
            await _reject(send, status, str(exc))
            return
        await self.app(scope, receive, send)


async def _reject(send: Send, status: int, message: str) -> None:
    kind = "unauthorized" if status == 401 else "gateway_unavailable"
    body = json.dumps({"error": {"type": kind, "message": message, "detail": None}}).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_http_app(settings: Settings, api: GatewayApi | None = None) -> Any:
    gateway = api or GatewayApi(settings.api_url, settings.timeout_s)
    server = build_server(settings, gateway)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        host=settings.host,
        # The SDK's Host check guards a token-less localhost server against DNS rebinding;
        # here every request needs the learner's token, which a rebinding page cannot send,
        # and behind the proxy the Host is whatever name the learner reached it by.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.add_route(HEALTH_PATH, _health, methods=["GET"])
    app.add_middleware(BearerAuth, api=gateway)
    return app
