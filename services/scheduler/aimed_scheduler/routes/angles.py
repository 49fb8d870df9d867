"""Angles (sub-nodes) opened by Fails on topics."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import col, select

from aimed_contracts.fields import RowId
from aimed_contracts.scheduler_api import AnglePublic, AnglesPublic, AngleStatus
from aimed_scheduler import repository
from aimed_scheduler.deps import SessionDep
from aimed_scheduler.models import Angle, SrsStateRow
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["angles"], responses=ERROR_RESPONSES)


@router.get("/angles")
def list_angles(
    learner_id: RowId, session: SessionDep, topic_id: RowId | None = None, status: AngleStatus | None = None
) -> AnglesPublic:
    repository.get_learner(session, learner_id)
    query = (
        select(Angle, SrsStateRow)
        .join(SrsStateRow, col(SrsStateRow.angle_id) == Angle.id)
        .where(Angle.learner_id == learner_id)
    )
    if topic_id is not None:
        repository.get_topic(session, learner_id, topic_id)
        query = query.where(Angle.topic_id == topic_id)
    if status is not None:
        query = query.where(Angle.status == status.value)
    rows = session.exec(query.order_by(col(Angle.topic_id), col(Angle.id))).all()
    return AnglesPublic(data=[repository.angle_public(a, s) for a, s in rows], count=len(rows))


@router.get("/angles/{angle_id}")
def read_angle(learner_id: RowId, angle_id: RowId, session: SessionDep) -> AnglePublic:
    angle = repository.get_angle(session, learner_id, angle_id)
    return repository.angle_public(angle, repository.angle_state_row(session, angle_id))
