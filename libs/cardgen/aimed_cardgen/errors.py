"""The refusals of card generation, each a typed error with a stable `type` in the envelope."""

from __future__ import annotations

from aimed_contracts.errors import InvalidInput, PayloadTooLarge, ServiceError, Unavailable, UpstreamTimeout


class UngroundedOutput(InvalidInput):
    """Every attempt produced a card that fails the grounding gate (policy strict)."""

    error_type = "ungrounded_output"


class InvalidOutput(InvalidInput):
    """No attempt produced a card that even parses against the schema."""

    error_type = "invalid_output"


class ContextTooLarge(PayloadTooLarge):
    error_type = "context_too_large"


class Busy(Unavailable):
    error_type = "busy"


class ModelUnavailable(Unavailable):
    error_type = "model_unavailable"


class ModelTimeout(UpstreamTimeout):
    """The model server did not answer in time (the envelope keeps the generic `upstream_timeout`)."""


class UpstreamError(ServiceError):
    """The model server answered, but with an error we cannot attribute to the request."""

    status_code = 502
    error_type = "upstream_error"


class NotAnApiAnswer(UpstreamError):
    """The model server answered 2xx with something that is not its API's JSON (an HTML page,
    a proxy's text, another service's shape)."""
