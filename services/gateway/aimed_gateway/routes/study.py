"""Study loop routes: the next card, reviews, undo."""

from __future__ import annotations

from fastapi import APIRouter

from aimed_gateway import study
from aimed_gateway.deps import ClockHeadersDep, LearnerDep, PrefetcherDep, SchedulerDep, SettingsDep
from aimed_gateway.schemas import ReviewCreate, ReviewResult, StudyNext, UndoResult
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/study", tags=["study"], responses=ERROR_RESPONSES)


@router.get("/next", response_model=StudyNext)
async def get_next(
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    prefetcher: PrefetcherDep,
    settings: SettingsDep,
    clock_headers: ClockHeadersDep,
) -> StudyNext:
    """The next study item with its cards ready, or a `generating` state to retry after `retry_after_s`."""
    return await study.next_item(learner_id, scheduler, prefetcher, clock_headers, settings.next_wait_s)


@router.post("/reviews", response_model=ReviewResult)
async def post_review(
    review: ReviewCreate,
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    prefetcher: PrefetcherDep,
    clock_headers: ClockHeadersDep,
) -> ReviewResult:
    """Grades the drill; the same `idempotency_key` again returns the stored outcome (`replayed`)."""
    return await study.record_review(learner_id, review, scheduler, prefetcher, clock_headers)


@router.post("/undo", response_model=UndoResult)
async def post_undo(
    learner_id: LearnerDep, scheduler: SchedulerDep, clock_headers: ClockHeadersDep
) -> UndoResult:
    """Restores the state before the last review (the review stays in the log, marked undone)."""
    undone = await scheduler.undo_review(learner_id, clock_headers)
    return UndoResult.model_validate(undone.model_dump(mode="json"))
