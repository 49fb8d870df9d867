"""Dashboard statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aimed_contracts.fields import RowId
from aimed_contracts.scheduler_api import StatsPublic
from aimed_scheduler import repository, stats
from aimed_scheduler.deps import NowDep, SessionDep
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["stats"], responses=ERROR_RESPONSES)


@router.get("/stats")
def read_stats(
    learner_id: RowId,
    session: SessionDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    heatmap_days: Annotated[int, Query(ge=1, le=730)] = 365,
) -> StatsPublic:
    learner = repository.get_learner(session, learner_id)
    return stats.learner_stats(session, learner, now, days, heatmap_days)
