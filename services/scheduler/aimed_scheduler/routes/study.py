"""The study loop: what to study next, recording an answer, undoing the last one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from aimed_contracts.errors import NotFound
from aimed_contracts.fields import RowId
from aimed_contracts.scheduler_api import (
    ReviewCreate,
    ReviewOutcomePublic,
    ReviewRecord,
    StudyItems,
    UndoPublic,
)
from aimed_scheduler import calendar, repository, reviews
from aimed_scheduler.deps import NowDep, SessionDep, WriteSessionDep
from aimed_scheduler.models import Review
from aimed_scheduler.responses import model_response
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["study"], responses=ERROR_RESPONSES)


@router.get("/next", response_model=StudyItems)
def next_items(
    learner_id: RowId, session: SessionDep, now: NowDep, limit: Annotated[int, Query(ge=1, le=50)] = 1
) -> Response:
    """Due angles and topics (most overdue first, then priority), then today's new topics."""
    learner = repository.get_learner(session, learner_id)
    items = calendar.next_items(session, learner, now, limit)
    return model_response(StudyItems(data=items, count=len(items)))


@router.post("/reviews", response_model=ReviewOutcomePublic)
def record_review(learner_id: RowId, body: ReviewCreate, session: WriteSessionDep, now: NowDep) -> Response:
    """Idempotent by `idempotency_key`; 409 `stale_version` if the state moved past `expected_version`.

    By card (`card_id` alone): the card's item is graded, a BattleCard is refused and an MCQ
    choice is judged here (`correct`, `correct_option`). By item: `item_type` and `item_id`."""
    learner = repository.get_learner(session, learner_id)
    return model_response(reviews.record_review(session, learner, body, now))


@router.post("/reviews/undo")
def undo_review(learner_id: RowId, session: WriteSessionDep, now: NowDep) -> UndoPublic:
    learner = repository.get_learner(session, learner_id)
    return reviews.undo_last(session, learner, now)


@router.get("/reviews/{review_id}", response_model=ReviewRecord)
def read_review(learner_id: RowId, review_id: RowId, session: SessionDep) -> ReviewRecord:
    """One entry of the review log (undone ones too: `undone_at` says so). The gateway reads
    an angle's origin review to find the question that was failed."""
    repository.get_learner(session, learner_id)
    review = session.get(Review, review_id)
    if review is None or review.learner_id != learner_id:
        raise NotFound(f"Review {review_id} does not exist for learner {learner_id}.")
    return ReviewRecord.model_validate(review, from_attributes=True)
