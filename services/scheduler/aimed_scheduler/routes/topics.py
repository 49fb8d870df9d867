"""Topics (CRUD and bulk import) and their contexts (guideline excerpts)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import func
from sqlmodel import col, select

from aimed_contracts.errors import PayloadTooLarge
from aimed_contracts.fields import RowId, RowOffset
from aimed_contracts.scheduler_api import (
    ContextPublic,
    ContextsPublic,
    ImportResult,
    TopicPublic,
    TopicsPublic,
    TopicStatus,
)
from aimed_scheduler import repository, topic_import
from aimed_scheduler.deps import NowDep, SessionDep, WriteSessionDep
from aimed_scheduler.models import Context, ContextCreate, Topic, TopicCreate, TopicUpdate
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["topics"], responses=ERROR_RESPONSES)

MAX_IMPORT_BYTES = 10 * 1024 * 1024


async def _import_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"The import is {len(body)} bytes; the maximum is {MAX_IMPORT_BYTES}. Split the file.",
            detail={"bytes": len(body), "max_bytes": MAX_IMPORT_BYTES},
        )
    return body


@router.get("/topics")
def list_topics(
    learner_id: RowId,
    session: SessionDep,
    modulo: str | None = None,
    status: TopicStatus | None = None,
    offset: RowOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TopicsPublic:
    repository.get_learner(session, learner_id)
    query = select(Topic).where(Topic.learner_id == learner_id)
    if modulo is not None:
        query = query.where(Topic.modulo == modulo)
    if status is not None:
        query = query.where(Topic.status == status.value)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    topics = session.exec(
        query.order_by(col(Topic.date_assigned), col(Topic.priority), col(Topic.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return TopicsPublic(data=repository.topics_public(session, topics), count=count)


@router.post("/topics", status_code=status.HTTP_201_CREATED)
def create_topic(learner_id: RowId, body: TopicCreate, session: WriteSessionDep, now: NowDep) -> TopicPublic:
    learner = repository.get_learner(session, learner_id)
    topic = repository.create_topic(session, learner, body, now, repository.srs_settings_of(learner))
    session.commit()
    return repository.topic_public(session, topic)


@router.post(
    "/topics/import",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
def import_topics(
    learner_id: RowId,
    request: Request,
    body: Annotated[bytes, Depends(_import_body)],
    session: WriteSessionDep,
    now: NowDep,
) -> ImportResult:
    """All-or-nothing: if any row is bad, nothing is stored and every error is listed (422 invalid_rows)."""
    learner = repository.get_learner(session, learner_id)
    rows = topic_import.parse_rows(body, request.headers.get("content-type", "application/json"))
    topics = topic_import.import_topics(session, learner, rows, now)
    session.commit()
    return ImportResult(created=len(topics), data=repository.topics_public(session, topics))


@router.get("/topics/{topic_id}")
def read_topic(learner_id: RowId, topic_id: RowId, session: SessionDep) -> TopicPublic:
    return repository.topic_public(session, repository.get_topic(session, learner_id, topic_id))


@router.patch("/topics/{topic_id}")
def update_topic(
    learner_id: RowId, topic_id: RowId, body: TopicUpdate, session: WriteSessionDep
) -> TopicPublic:
    topic = repository.get_topic(session, learner_id, topic_id)
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        setattr(topic, key, value.value if isinstance(value, TopicStatus) else value)
    session.add(topic)
    session.commit()
    session.refresh(topic)
    return repository.topic_public(session, topic)


@router.delete("/topics/{topic_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_topic(learner_id: RowId, topic_id: RowId, session: WriteSessionDep) -> Response:
    """Deletes the topic with its contexts, angles, cards, SRS states and review log (one transaction)."""
    topic = repository.get_topic(session, learner_id, topic_id)
    session.delete(topic)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _context_public(context: Context) -> ContextPublic:
    return ContextPublic.model_validate(context, from_attributes=True)


@router.get("/topics/{topic_id}/contexts")
def list_contexts(learner_id: RowId, topic_id: RowId, session: SessionDep) -> ContextsPublic:
    repository.get_topic(session, learner_id, topic_id)
    contexts = session.exec(
        select(Context).where(Context.topic_id == topic_id).order_by(col(Context.id))
    ).all()
    return ContextsPublic(data=[_context_public(c) for c in contexts], count=len(contexts))


@router.post("/topics/{topic_id}/contexts", status_code=status.HTTP_201_CREATED)
def add_context(
    learner_id: RowId,
    topic_id: RowId,
    body: ContextCreate,
    session: WriteSessionDep,
    now: NowDep,
    response: Response,
) -> ContextPublic:
    """Posting the same text twice returns the stored context (200) instead of a copy."""
    repository.get_topic(session, learner_id, topic_id)
    digest = hashlib.sha256(body.text.strip().encode()).hexdigest()
    existing = session.exec(
        select(Context).where(Context.topic_id == topic_id, Context.content_hash == digest)
    ).first()
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return _context_public(existing)
    context = Context(
        learner_id=learner_id,
        topic_id=topic_id,
        source_label=body.source_label.strip(),
        text=body.text,
        content_hash=digest,
        created_at=now,
    )
    session.add(context)
    session.commit()
    session.refresh(context)
    return _context_public(context)
