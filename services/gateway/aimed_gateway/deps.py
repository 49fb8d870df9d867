"""Typed dependencies: the authenticated learner, the upstream clients, the test clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aimed_contracts.errors import Unauthorized
from aimed_gateway.config import Settings
from aimed_gateway.prefetch import Prefetcher
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.tokens import TokenStore
from aimed_gateway.upstream import Generator
from aimed_servicekit.app_state import from_app_state
from aimed_servicekit.clock import CLOCK_HEADER, ClockOverrideRefused, parse_aware

_bearer = HTTPBearer(auto_error=False, description="The learner token printed by `make run` or the CLI.")


def get_learner_id(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    """Resolves the bearer token to a learner id (a sync dependency: SQLite runs in the thread pool)."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized(
            "Missing token: send 'Authorization: Bearer <token>' (make run prints it and writes var/token).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    store: TokenStore = request.app.state.tokens
    learner_id = store.learner_for(credentials.credentials)
    if learner_id is None:
        raise Unauthorized(
            "Unknown token: create one with `aimed-gateway create-token --learner ID`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return learner_id


def get_clock_headers(request: Request) -> dict[str, str]:
    """The test clock header to forward to the scheduler, only when the override is enabled."""
    header = request.headers.get(CLOCK_HEADER)
    if header is None:
        return {}
    settings: Settings = request.app.state.settings
    if not settings.allow_clock_override:
        raise ClockOverrideRefused(
            f"The {CLOCK_HEADER} header is only accepted when AIMED_GATEWAY_ALLOW_CLOCK_OVERRIDE is true "
            "(tests only)."
        )
    return {CLOCK_HEADER: parse_aware(header, CLOCK_HEADER).isoformat()}


SettingsDep = Annotated[Settings, from_app_state("settings")]
SchedulerDep = Annotated[SchedulerClient, from_app_state("scheduler")]
GeneratorDep = Annotated[Generator, from_app_state("generator")]
PrefetcherDep = Annotated[Prefetcher, from_app_state("prefetcher")]
LearnerDep = Annotated[str, Depends(get_learner_id)]
ClockHeadersDep = Annotated[dict[str, str], Depends(get_clock_headers)]
