"""HTTP plumbing for the internal services (docs/internal-api.md); the scheduler's typed
client is aimed_gateway.scheduler_client.

An upstream error envelope is re-raised as the same typed error, so the learner sees
the scheduler's own message (e.g. a 422 listing invalid CSV rows); a connection
failure becomes a 503 naming the service that is down. Every call carries the shared
internal token when one is configured (docs/scaling.md).
"""

from __future__ import annotations

from typing import Any

import httpx

from aimed_contracts.errors import ServiceError, Unavailable, UpstreamTimeout
from aimed_servicekit.internal_token import INTERNAL_TOKEN_HEADER

# Requests that change nothing, so sending one twice is harmless.
RETRYABLE_METHODS = frozenset({"GET", "HEAD"})
# A pooled connection the server closed while it sat idle fails at once with one of these;
# a service that is down fails to connect instead (httpx.ConnectError), never retried.
STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
# Below uvicorn's keep-alive timeout (5 s), so the gateway drops an idle connection before
# the service does, instead of racing it.
KEEPALIVE_EXPIRY_S = 2.0


class UpstreamError(ServiceError):  # type: ignore[misc]
    """An error answered by an internal service, carried through with its status and type."""

    def __init__(self, status_code: int, error_type: str, message: str, detail: Any, headers: dict[str, str]):
        super().__init__(message, detail=detail, error_type=error_type, headers=headers)
        self.status_code = status_code


def _raise_for(service: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        body = response.json()
        error = body["error"]
        error_type, message, detail = str(error["type"]), str(error["message"]), error.get("detail")
    except (ValueError, KeyError, TypeError):
        error_type = "upstream_error"
        message = f"The {service} answered {response.status_code} without an error envelope."
        detail = response.text[:500]
    headers = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
    status = response.status_code if response.status_code < 500 or response.status_code in (503, 504) else 502
    if response.status_code == 401:
        # The learner's token is the gateway's business: an internal 401 means the services
        # disagree on AIMED_INTERNAL_TOKEN, a deployment fault the learner cannot fix.
        status, error_type = 502, "upstream_error"
        message = (
            f"The {service} refused the gateway's internal token; "
            "set the same AIMED_INTERNAL_TOKEN on every service."
        )
        detail = None
    raise UpstreamError(status, error_type, message, detail, headers)


class ServiceClient:
    """A named internal service reached over one shared httpx.AsyncClient."""

    def __init__(
        self,
        name: str,
        base_url: str,
        timeout_s: float,
        internal_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport`: tests pass an in-process app (httpx.ASGITransport); otherwise the network."""
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout_s,
            headers={INTERNAL_TOKEN_HEADER: internal_token} if internal_token else None,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S),
            transport=transport,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        extra: dict[str, Any] = {}
        if timeout_s is not None:
            extra["timeout"] = timeout_s
        try:
            try:
                response = await self.client.request(
                    method, path, json=json, params=clean_params, content=content, headers=headers,
                    files=files, **extra,
                )  # fmt: skip
            except STALE_CONNECTION_ERRORS:
                if method.upper() not in RETRYABLE_METHODS:
                    raise
                # Once more: the pool dropped the dead connection, so this one is fresh.
                response = await self.client.request(
                    method, path, params=clean_params, headers=headers, **extra
                )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"The {self.name} did not answer in time; try again.", error_type=f"{self.name}_timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise Unavailable(
                f"The {self.name} is not reachable at {self.base_url}; start it (make run) and try again.",
                error_type=f"{self.name}_unavailable",
            ) from exc
        _raise_for(self.name, response)
        return response

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return (await self.request("GET", path, **kwargs)).json()

    async def post_json(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = await self.request("POST", path, json=body, **kwargs)
        return None if response.status_code == 204 or not response.content else response.json()

    async def patch_json(self, path: str, body: Any, **kwargs: Any) -> Any:
        return (await self.request("PATCH", path, json=body, **kwargs)).json()

    async def delete(self, path: str, **kwargs: Any) -> None:
        await self.request("DELETE", path, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()


class Generator(ServiceClient):
    def __init__(self, base_url: str, timeout_s: float, internal_token: str | None = None) -> None:
        super().__init__("generator", base_url, timeout_s, internal_token)
