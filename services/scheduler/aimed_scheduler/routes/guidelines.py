"""Guideline sections (split from a PDF by the gateway) into topic contexts, in one transaction."""

from __future__ import annotations

from fastapi import APIRouter, status

from aimed_contracts.fields import RowId
from aimed_scheduler import guideline_import, repository
from aimed_scheduler.deps import NowDep, WriteSessionDep
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["topics"], responses=ERROR_RESPONSES)


@router.post("/guideline-sections", status_code=status.HTTP_201_CREATED)
def import_guideline_sections(
    learner_id: RowId, body: guideline_import.GuidelineImport, session: WriteSessionDep, now: NowDep
) -> guideline_import.GuidelineImportResult:
    """All or nothing: an unknown topic (404) or a bad section (422) stores nothing."""
    learner = repository.get_learner(session, learner_id)
    result = guideline_import.import_sections(session, learner, body, now)
    session.commit()
    return result
