"""The AI-Med public API as aimed-mcp uses it: one call per tool, the learner's token on each.

aimed-mcp holds no state and applies no rule of its own: the gateway authenticates, validates
and answers; its refusals reach the assistant as tool errors carrying the API's own message.
"""

from __future__ import annotations

from typing import Any

import httpx
from mcp.server.mcpserver.exceptions import ToolError

API_PREFIX = "/api/v1"


class GatewayApi:
    def __init__(
        self, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._transport = transport

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        url = f"{self.base_url}{API_PREFIX}{path}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport) as client:
                response = await client.request(method, url, headers=headers, json=json, params=query)
        except httpx.HTTPError as exc:
            raise ToolError(
                f"The AI-Med API at {self.base_url} did not answer ({type(exc).__name__}); "
                "start it (`make run`) or set AIMED_MCP_API_URL."
            ) from exc
        if response.status_code >= 400:
            raise ToolError(_refusal(response))
        return response.json() if response.content else None


def _refusal(response: httpx.Response) -> str:
    """The API's error envelope as one sentence the assistant can act on."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    kind = error.get("type") or f"http_{response.status_code}"
    message = error.get("message") or response.reason_phrase
    text = f"AI-Med API refused the call ({response.status_code} {kind}): {message}"
    detail = error.get("detail")
    if isinstance(detail, list) and detail:
        text += " Details: " + "; ".join(str(d) for d in detail[:10])
    return text
