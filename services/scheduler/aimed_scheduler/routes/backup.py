"""Backup of one learner: lossless export, restore into an empty learner."""

from __future__ import annotations

from fastapi import APIRouter

from aimed_contracts.fields import RowId
from aimed_scheduler import backup, repository
from aimed_scheduler.deps import NowDep, SessionDep, WriteSessionDep
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["backup"], responses=ERROR_RESPONSES)


@router.get("/backup")
def export_backup(learner_id: RowId, session: SessionDep, now: NowDep) -> backup.LearnerBackup:
    return backup.export_learner(session, repository.get_learner(session, learner_id), now)


@router.post("/backup")
def restore_backup(learner_id: RowId, body: backup.LearnerBackup, session: WriteSessionDep) -> dict[str, int]:
    """All-or-nothing; the learner must have no topics yet (409 `learner_not_empty`)."""
    return backup.restore_learner(session, repository.get_learner(session, learner_id), body)
