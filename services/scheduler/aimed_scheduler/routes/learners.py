"""Learners and their settings (timezone, daily new-topic limit, SRS constants)."""

from __future__ import annotations

from fastapi import APIRouter, status

from aimed_contracts.fields import RowId
from aimed_contracts.scheduler_api import (
    LearnerPublic,
    LearnerSettingsPublic,
    LearnerSettingsUpdate,
    SrsSettingsUpdate,
)
from aimed_scheduler import algorithm, repository
from aimed_scheduler.deps import NowDep, SessionDep, WriteSessionDep
from aimed_scheduler.models import Learner, LearnerCreate
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(tags=["learners"], responses=ERROR_RESPONSES)


@router.post("/learners", status_code=status.HTTP_201_CREATED)
def create_learner(body: LearnerCreate, session: WriteSessionDep, now: NowDep) -> LearnerPublic:
    settings = repository.merged_settings({}, body.settings or SrsSettingsUpdate())
    learner = Learner(
        name=body.name.strip(),
        timezone=repository.validate_timezone(body.timezone),
        daily_new_limit=body.daily_new_limit,
        srs_settings=settings.to_dict(),
        created_at=now,
    )
    session.add(learner)
    session.commit()
    session.refresh(learner)
    return repository.learner_public(learner)


@router.get("/learners/{learner_id}")
def read_learner(learner_id: RowId, session: SessionDep) -> LearnerPublic:
    return repository.learner_public(repository.get_learner(session, learner_id))


@router.get("/learners/{learner_id}/settings")
def read_settings(learner_id: RowId, session: SessionDep) -> LearnerSettingsPublic:
    return repository.settings_public(repository.get_learner(session, learner_id))


@router.patch("/learners/{learner_id}/settings")
def update_settings(
    learner_id: RowId, body: LearnerSettingsUpdate, session: WriteSessionDep
) -> LearnerSettingsPublic:
    """Changing `algorithm` rewrites every study item's state in the same transaction
    (FSRS: replayed from the review log; back to SM-2: SM-2's last state)."""
    learner = repository.get_learner(session, learner_id)
    previous_algorithm = repository.srs_settings_of(learner).algorithm
    settings = repository.merged_settings(learner.srs_settings, body)
    if body.timezone is not None:
        learner.timezone = repository.validate_timezone(body.timezone)
    if body.daily_new_limit is not None:
        learner.daily_new_limit = body.daily_new_limit
    learner.srs_settings = settings.to_dict()
    session.add(learner)
    if settings.algorithm != previous_algorithm:
        algorithm.switch_learner(session, learner_id, settings)
    session.commit()
    session.refresh(learner)
    return repository.settings_public(learner)
