"""`POST /v1/validate`: the grounding gate alone, for dataset building and tools."""

from __future__ import annotations

from fastapi import APIRouter

from aimed_contracts.grounding import GroundingReport, check_card
from aimed_generator.models import ValidateRequest

router = APIRouter(prefix="/v1", tags=["validate"])


@router.post("/validate", response_model=GroundingReport)
def validate_card(request: ValidateRequest) -> GroundingReport:
    """`{valid, kind, issues: [{code, field, message}], sources_checked, numbers_checked,
    terms_checked}`. 200 whatever the verdict: the request was fine, the card may not be.
    Schema problems are issues too (`schema_invalid`), so a half-built card gets every
    problem at once."""
    return check_card(request.card, request.context, topic=request.topic)
