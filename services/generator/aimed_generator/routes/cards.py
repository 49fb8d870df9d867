"""`POST /v1/cards` (generate one grounded card) and `GET /v1/schema` (the card contract)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aimed_contracts.cards import CardKind, card_json_schema
from aimed_contracts.errors import ErrorEnvelope
from aimed_generator.deps import GeneratorDep
from aimed_generator.models import CardRequest, CardResponse
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["cards"])


@router.post(
    "/cards",
    response_model=CardResponse,
    responses={**ERROR_RESPONSES, 502: {"model": ErrorEnvelope}},
    summary="Generate one card grounded in the given contexts",
)
async def create_card(request: CardRequest, generator: GeneratorDep) -> CardResponse:
    """422 `ungrounded_output` / `invalid_output` (every issue of every attempt), 413
    `context_too_large`, 503 `busy` (Retry-After) or `model_unavailable`, 504 `upstream_timeout`."""
    return await generator.generate(request)


@router.get("/schema", summary="The card JSON Schema (one kind, or the union of all kinds)")
def get_schema(kind: CardKind | None = None) -> dict[str, Any]:
    """`?kind=` gives the schema sent to the model for that kind; none gives the union."""
    return card_json_schema(kind)
