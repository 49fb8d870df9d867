"""Typed FastAPI dependencies: database sessions and the request clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from aimed_scheduler.config import Settings
from aimed_scheduler.db import WRITE_OPTIONS
from aimed_servicekit.clock import request_clock


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Opening a Session does no I/O (it connects on first query, inside the sync route's thread);
    closing may talk to the database, so it runs in the thread pool. Objects stay loaded after a
    commit (one session per request): routes answer from what they just wrote, without a reload."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


async def get_write_session(request: Request) -> AsyncIterator[Session]:
    """A session whose transaction takes SQLite's write lock at BEGIN (no effect on PostgreSQL)."""
    session = Session(request.app.state.engine.execution_options(**WRITE_OPTIONS), expire_on_commit=False)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


async def get_now(request: Request) -> datetime:
    """Header parsing only (no I/O): async so FastAPI does not hop to a worker thread for it."""
    settings: Settings = request.app.state.settings
    now: datetime = request_clock(lambda: settings.allow_clock_override)(request)
    return now


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
NowDep = Annotated[datetime, Depends(get_now)]
