"""Exports (Anki deck, full JSON backup) and backup restore."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO, Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_gateway.anki import AnkiPackage
from aimed_gateway.deps import LearnerDep, SchedulerDep, SettingsDep
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.schemas import BackupImportResult
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(tags=["export"], responses=ERROR_RESPONSES)

BACKUP_FORMAT = "aimed-backup"
BACKUP_FORMAT_VERSION = 1


ANKI_TOPIC_PAGE = 1000
ANKI_CARD_PAGE = 500
ANKI_CHUNK_BYTES = 1024 * 1024


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    """The package, read in a worker thread; closing the (already unlinked) file frees its disk."""
    try:
        while chunk := await run_in_threadpool(handle.read, ANKI_CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


async def _all_topics(scheduler: SchedulerClient, learner_id: str) -> list[dict[str, Any]]:
    topics: list[dict[str, Any]] = []
    while True:
        page = await scheduler.list_topics(learner_id, offset=len(topics), limit=ANKI_TOPIC_PAGE)
        topics.extend(topic.model_dump(mode="json") for topic in page.data)
        if not page.data or len(topics) >= page.count:
            return topics


@router.get(
    "/export/anki",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "An Anki .apkg package. `X-Aimed-Notes`: notes in it; "
            "`X-Aimed-Flagged-Left-Out`: cards left out because they failed the grounding gate.",
        }
    },
)
async def export_anki(
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    include_flagged: Annotated[
        bool,
        Query(
            description="Also export cards that failed the grounding gate, tagged `no_verificada` "
            "with the gate's problems on the back."
        ),
    ] = False,
) -> StreamingResponse:
    """Every generated card as an Anki deck per modulo; ids are stable across exports.

    Pages through every topic and card; the package is built in a worker thread into a
    temp file that is streamed (unlinked as soon as it is open, so nothing is left behind
    even when the client goes away).
    """
    package = AnkiPackage(
        learner_id, await _all_topics(scheduler, learner_id), include_flagged=include_flagged
    )
    after_id: int | None = None
    while True:
        cards = await scheduler.list_cards(learner_id, limit=ANKI_CARD_PAGE, after_id=after_id)
        await run_in_threadpool(package.add_cards, [card.model_dump(mode="json") for card in cards])
        if len(cards) < ANKI_CARD_PAGE:
            break
        after_id = cards[-1].id
    path = await run_in_threadpool(package.write)
    handle = path.open("rb")
    path.unlink()
    return StreamingResponse(
        _chunks(handle),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": 'attachment; filename="aimed-learning.apkg"',
            "Content-Length": str(os.fstat(handle.fileno()).st_size),
            "X-Aimed-Notes": str(package.notes),
            "X-Aimed-Flagged-Left-Out": str(package.flagged_left_out),
        },
    )


@router.get("/export/backup")
async def export_backup(learner_id: LearnerDep, scheduler: SchedulerDep) -> Response:
    """Every row of the learner as JSON; POST it to /import/backup to restore."""
    data = await scheduler.export_backup(learner_id)
    document = {
        "format": BACKUP_FORMAT,
        "format_version": BACKUP_FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "data": data,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        await run_in_threadpool(json.dumps, document, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="aimed-backup-{stamp}.json"'},
    )


# The scheduler's backup document (aimed_scheduler.backup.LearnerBackup): its row lists.
BACKUP_TABLES = ("topics", "contexts", "angles", "srs_states", "cards", "reviews")
BACKUP_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "The document GET /export/backup answered, unchanged.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "format": {"const": BACKUP_FORMAT},
                        "format_version": {"const": BACKUP_FORMAT_VERSION},
                        "exported_at": {"type": "string", "format": "date-time"},
                        "data": {
                            "type": "object",
                            "description": "Every row of the learner, by table.",
                            "properties": {
                                "exported_at": {"type": "string", "format": "date-time"},
                                "learner": {"type": "object"},
                                **{
                                    table: {"type": "array", "items": {"type": "object"}}
                                    for table in BACKUP_TABLES
                                },
                            },
                            "required": ["exported_at", "learner", *BACKUP_TABLES],
                        },
                    },
                    "required": ["format", "format_version", "data"],
                }
            }
        },
    }
}


@router.post("/import/backup", response_model=BackupImportResult, openapi_extra=BACKUP_BODY_DOC)
async def import_backup(
    request: Request, learner_id: LearnerDep, scheduler: SchedulerDep, settings: SettingsDep
) -> Any:
    """Restores a backup into this learner, which must have no data yet (all or nothing)."""
    raw = await request.body()
    if len(raw) > settings.max_upload_bytes * 10:
        raise PayloadTooLarge(
            f"The backup is {len(raw)} bytes; the limit is {settings.max_upload_bytes * 10}."
        )
    try:
        document = await run_in_threadpool(json.loads, raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"The backup is not valid JSON: {exc}. Upload the file from /export/backup."
        ) from exc
    if not isinstance(document, dict) or document.get("format") != BACKUP_FORMAT:
        raise InvalidInput(f'This is not an AI-Med backup (expected "format": "{BACKUP_FORMAT}").')
    if document.get("format_version") != BACKUP_FORMAT_VERSION:
        raise InvalidInput(
            f"Backup format_version {document.get('format_version')!r} is not supported "
            f"(this gateway reads {BACKUP_FORMAT_VERSION})."
        )
    result = await scheduler.restore_backup(learner_id, document.get("data"))
    return {**result, "learner_id": learner_id}
