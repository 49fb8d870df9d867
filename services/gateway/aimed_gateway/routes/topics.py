"""Topics, their contexts, and syllabus import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_contracts.fields import RowId, RowOffset
from aimed_gateway.deps import ClockHeadersDep, LearnerDep, SchedulerDep, SettingsDep
from aimed_gateway.schemas import (
    ContextCreate,
    ContextPublic,
    ContextsPublic,
    TopicCreate,
    TopicImportResult,
    TopicPublic,
    TopicsPublic,
    TopicStatus,
    TopicUpdate,
)
from aimed_servicekit.errors import ERROR_RESPONSES

DEFAULT_SOURCE_LABEL = "Texto pegado"
router = APIRouter(prefix="/topics", tags=["topics"], responses=ERROR_RESPONSES)

# The scheduler's limit on one import (aimed_scheduler.topic_import.MAX_ROWS).
MAX_IMPORT_ROWS = 20_000
NON_BLANK_TEXT = {"type": "string", "minLength": 1, "pattern": r"\S"}
IMPORT_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": TopicCreate.model_json_schema(),
                    "minItems": 1,
                    "maxItems": MAX_IMPORT_ROWS,
                }
            },
            "text/csv": {"schema": NON_BLANK_TEXT},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
CONTEXT_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ContextCreate.model_json_schema()},
            "text/plain": {"schema": NON_BLANK_TEXT},
            "text/markdown": {"schema": NON_BLANK_TEXT},
        },
    }
}


async def _read_limited(request: Request, limit: int) -> bytes:
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The upload is {len(body)} bytes; the limit is {limit} bytes.")
    return body


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@router.get("", response_model=TopicsPublic)
async def list_topics(
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    clock_headers: ClockHeadersDep,
    # No stored modulo is longer (ModuloName), and a bound keeps the URL under nginx's limit.
    modulo: Annotated[str | None, Query(max_length=200)] = None,
    status: TopicStatus | None = None,
    offset: RowOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> Any:
    return (
        await scheduler.list_topics(
            learner_id, modulo=modulo, status=status, offset=offset, limit=limit, clock=clock_headers
        )
    ).model_dump(mode="json")


@router.post("", response_model=TopicPublic, status_code=201)
async def create_topic(topic: TopicCreate, learner_id: LearnerDep, scheduler: SchedulerDep) -> Any:
    return (await scheduler.create_topic(learner_id, topic.model_dump(mode="json"))).model_dump(mode="json")


@router.post("/import", response_model=TopicImportResult, openapi_extra=IMPORT_BODY_DOC)
async def import_topics(
    request: Request, learner_id: LearnerDep, scheduler: SchedulerDep, settings: SettingsDep
) -> Any:
    """Imports a syllabus, all or nothing: a JSON list of topics, a CSV body, or a multipart `file`."""
    media_type = _media_type(request)
    if media_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("file: attach the syllabus as a form field named 'file' (.csv or .json).")
        content = await upload.read()
        if len(content) > settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"The upload is {len(content)} bytes; the limit is {settings.max_upload_bytes}."
            )
        name = (upload.filename or "").lower()
        media_type = "application/json" if name.endswith(".json") else "text/csv"
    else:
        content = await _read_limited(request, settings.max_upload_bytes)
    if media_type not in ("application/json", "text/csv"):
        raise InvalidInput(
            f"Content-Type '{media_type or 'none'}' is not supported: "
            "send application/json (a list of topics), "
            "text/csv (a header row: name,modulo,priority,date_assigned) or a multipart 'file'."
        )
    if not content.strip():
        raise InvalidInput("The syllabus is empty: send at least one topic.")
    return (await scheduler.import_topics(learner_id, content, media_type)).model_dump(mode="json")


@router.get("/{topic_id}", response_model=TopicPublic)
async def get_topic(
    topic_id: RowId, learner_id: LearnerDep, scheduler: SchedulerDep, clock_headers: ClockHeadersDep
) -> Any:
    return (await scheduler.read_topic(learner_id, topic_id, clock_headers)).model_dump(mode="json")


@router.patch("/{topic_id}", response_model=TopicPublic)
async def update_topic(
    topic_id: RowId, update: TopicUpdate, learner_id: LearnerDep, scheduler: SchedulerDep
) -> Any:
    topic = await scheduler.update_topic(
        learner_id, topic_id, update.model_dump(mode="json", exclude_unset=True)
    )
    return topic.model_dump(mode="json")


@router.delete("/{topic_id}", status_code=204)
async def delete_topic(topic_id: RowId, learner_id: LearnerDep, scheduler: SchedulerDep) -> Response:
    await scheduler.delete_topic(learner_id, topic_id)
    return Response(status_code=204)


@router.get("/{topic_id}/contexts", response_model=ContextsPublic)
async def list_contexts(topic_id: RowId, learner_id: LearnerDep, scheduler: SchedulerDep) -> Any:
    return (await scheduler.list_contexts(learner_id, topic_id)).model_dump(mode="json")


@router.post(
    "/{topic_id}/contexts", response_model=ContextPublic, status_code=201, openapi_extra=CONTEXT_BODY_DOC
)
async def add_context(
    topic_id: RowId,
    request: Request,
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    settings: SettingsDep,
    source_label: Annotated[str, Query(max_length=300)] = "",
) -> Any:
    """Adds a guideline excerpt: JSON `{source_label, text, format}`, or a text/plain or markdown body."""
    media_type = _media_type(request)
    raw = await _read_limited(request, settings.max_upload_bytes)
    if media_type == "application/json":
        try:
            context = ContextCreate.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidInput(
                "The context is invalid: "
                + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
                detail=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
            ) from exc
    elif media_type in ("text/plain", "text/markdown"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"The context is not UTF-8 text (byte {exc.start}); save it as UTF-8."
            ) from exc
        if not text.strip():
            raise InvalidInput("The context is empty: paste the guideline excerpt.")
        context = ContextCreate(
            source_label=source_label,
            text=text,
            format="markdown" if media_type == "text/markdown" else "text",
        )
    else:
        raise InvalidInput(
            f"Content-Type '{media_type or 'none'}' is not supported: "
            "send application/json, text/plain or text/markdown."
        )
    # `format` is not stored: the text is kept verbatim (sources are quoted from it) whatever it
    # is written in, and the scheduler's context has no such field (docs/api-guide.md).
    stored = await scheduler.add_context(
        learner_id, topic_id, context.source_label.strip() or DEFAULT_SOURCE_LABEL, context.text
    )
    return stored.model_dump(mode="json")
