"""The one error envelope every service answers with, and the typed errors behind it.

`{"error": {"type": ..., "message": ..., "detail": ...}}`: `type` is a stable,
machine-readable code; `message` says what was wrong and what to do; `detail` carries
structured specifics (field errors, counts, grounding issues).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    type: str
    message: str
    detail: Any = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def error_envelope(error_type: str, message: str, detail: Any = None) -> dict[str, Any]:
    return ErrorEnvelope(error=ErrorBody(type=error_type, message=message, detail=detail)).model_dump(
        mode="json"
    )


class ServiceError(Exception):
    """A failure with a known meaning; the HTTP layer maps it by its attributes."""

    status_code: int = 500
    error_type: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        detail: Any = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.headers = headers or {}
        if error_type is not None:
            self.error_type = error_type

    def envelope(self) -> dict[str, Any]:
        return error_envelope(self.error_type, self.message, self.detail)


class InvalidInput(ServiceError):
    status_code = 422
    error_type = "invalid_input"


class Unauthorized(ServiceError):
    status_code = 401
    error_type = "unauthorized"


class NotFound(ServiceError):
    status_code = 404
    error_type = "not_found"


class Conflict(ServiceError):
    status_code = 409
    error_type = "conflict"


class PayloadTooLarge(ServiceError):
    status_code = 413
    error_type = "payload_too_large"


class Unavailable(ServiceError):
    status_code = 503
    error_type = "unavailable"


class UpstreamTimeout(ServiceError):
    status_code = 504
    error_type = "upstream_timeout"
