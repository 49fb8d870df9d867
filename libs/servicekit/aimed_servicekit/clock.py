"""The request clock: real UTC time, or a test-only override from a request header.

The override exists so end-to-end tests can move time forward. It is refused unless
the service's settings enable it explicitly (off by default).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import Request

from aimed_contracts.errors import InvalidInput, ServiceError

CLOCK_HEADER = "X-Aimed-Now"


class ClockOverrideRefused(ServiceError):
    status_code = 403
    error_type = "clock_override_disabled"


def parse_aware(value: str, where: str) -> datetime:
    """Parse an ISO-8601 datetime that must carry a timezone; returns it in UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{where}: '{value}' is not an ISO-8601 datetime.") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput(f"{where}: '{value}' has no timezone; send UTC, e.g. 2026-01-31T08:00:00Z.")
    return parsed.astimezone(UTC)


def request_clock(override_enabled: Callable[[], bool]) -> Callable[[Request], datetime]:
    """A FastAPI dependency factory returning 'now' for this request."""

    def now(request: Request) -> datetime:
        header = request.headers.get(CLOCK_HEADER)
        if header is None:
            return datetime.now(UTC)
        if not override_enabled():
            raise ClockOverrideRefused(
                f"The {CLOCK_HEADER} header is only accepted when the clock override is enabled "
                "in settings (tests only)."
            )
        return parse_aware(header, CLOCK_HEADER)

    return now
