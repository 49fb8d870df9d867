"""`POST /v1/cards` (generate one grounded card), `GET /v1/generations/{id}` (its progress
while it is written) and `GET /v1/schema` (the card contract)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from pydantic import StringConstraints

from aimed_contracts.cards import CardKind, card_json_schema
from aimed_contracts.errors import ErrorEnvelope, NotFound
from aimed_generator.deps import GeneratorDep, ProgressDep, SettingsDep
from aimed_generator.models import CardRequest, CardResponse
from aimed_generator.progress import GenerationStatus
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["cards"])
# The gateway's name for a generation (a hex uuid there; anything this safe is accepted).
GenerationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


@router.post(
    "/cards",
    response_model=CardResponse,
    responses={**ERROR_RESPONSES, 502: {"model": ErrorEnvelope}},
    summary="Generate one card grounded in the given contexts",
)
async def create_card(
    request: CardRequest,
    generator: GeneratorDep,
    progress: ProgressDep,
    settings: SettingsDep,
    generation_id: Annotated[
        GenerationId | None,
        Header(
            alias="X-Generation-Id",
            description="A name for this generation: its progress is then at GET /v1/generations/{id}.",
        ),
    ] = None,
) -> CardResponse:
    """422 `ungrounded_output` / `invalid_output` (every issue of every attempt), 413
    `context_too_large`, 503 `busy` (Retry-After) or `model_unavailable`, 504 `upstream_timeout`."""
    task = request.generation_task()
    with progress.track(generation_id, task.card_kind):
        result = await generator.generate(task, request.generation_options(settings))
    return CardResponse.from_result(result)


@router.get(
    "/generations/{generation_id}",
    responses=ERROR_RESPONSES,
    summary="Progress of a card being written (tokens so far, tokens per second)",
)
def read_generation(
    generation_id: Annotated[GenerationId, Path()], progress: ProgressDep
) -> GenerationStatus:
    """Known while it runs and for a minute after; 404 for any other id."""
    entry = progress.get(generation_id)
    if entry is None:
        raise NotFound(
            f"No generation {generation_id} is running or finished within the last minute here.",
            error_type="generation_not_found",
        )
    return entry.status()


@router.get("/schema", summary="The card JSON Schema (one kind, or the union of all kinds)")
def get_schema(kind: CardKind | None = None) -> dict[str, Any]:
    """`?kind=` gives the schema sent to the model for that kind; none gives the union."""
    return card_json_schema(kind)
