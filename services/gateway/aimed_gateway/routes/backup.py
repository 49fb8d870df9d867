"""Exports (Anki deck, full JSON backup) and backup restore."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_gateway.anki import build_apkg
from aimed_gateway.deps import LearnerDep, SchedulerDep, SettingsDep
from aimed_gateway.schemas import BackupImportResult
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(tags=["export"], responses=ERROR_RESPONSES)

BACKUP_FORMAT = "aimed-backup"
BACKUP_FORMAT_VERSION = 1


@router.get(
    "/export/anki",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "An Anki .apkg package."}},
)
async def export_anki(learner_id: LearnerDep, scheduler: SchedulerDep) -> Response:
    """Every generated card as an Anki deck per module; ids are stable across exports."""
    topics = await scheduler.get_json(scheduler.learner_path(learner_id, "/topics"), params={"limit": 1000})
    cards = await scheduler.get_json(scheduler.learner_path(learner_id, "/cards"), params={"limit": 500})
    content = await run_in_threadpool(build_apkg, learner_id, topics["data"], cards["data"])
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="aimed-learning.apkg"'},
    )


@router.get("/export/backup")
async def export_backup(learner_id: LearnerDep, scheduler: SchedulerDep) -> Response:
    """Every row of the learner as JSON; POST it to /import/backup to restore."""
    data = await scheduler.get_json(scheduler.learner_path(learner_id, "/backup"))
    document = {
        "format": BACKUP_FORMAT,
        "format_version": BACKUP_FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "data": data,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        json.dumps(document, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="aimed-backup-{stamp}.json"'},
    )


@router.post("/import/backup", response_model=BackupImportResult)
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
        document = json.loads(raw)
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
    result = await scheduler.post_json(scheduler.learner_path(learner_id, "/backup"), document.get("data"))
    return {**(result or {}), "learner_id": learner_id}
