"""Import of the learner's own temario.db (the SQLite file of their original plan).

The gateway checks what it can without reading the file (size, multipart shape, the
SQLite header) and streams the rest to the scheduler, which validates every row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_contracts.limits import TEMARIO_MAX_BYTES
from aimed_gateway.deps import LearnerDep, SchedulerDep
from aimed_gateway.routes.uploads import file_upload_doc
from aimed_gateway.schemas import TemarioReport
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(tags=["import"], responses=ERROR_RESPONSES)

SQLITE_HEADER = b"SQLite format 3\x00"
# Boundaries and part headers around the file in a multipart body.
MULTIPART_SLACK_BYTES = 64 * 1024
# Validating a large temario takes the scheduler longer than an ordinary call.
IMPORT_TIMEOUT_S = 180.0
LIMIT_TEXT = f"{TEMARIO_MAX_BYTES} bytes (50 MiB)"


def _too_large(size: int | str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The temario is {size} bytes; the limit is {LIMIT_TEXT}. Remove tables you do not need "
        "(sqlite3 temario.db 'DROP TABLE …; VACUUM;') and upload it again.",
        detail={"max_bytes": TEMARIO_MAX_BYTES},
    )


@router.post(
    "/import/temario",
    response_model=TemarioReport,
    openapi_extra=file_upload_doc(f"The temario.db (SQLite), at most {LIMIT_TEXT}."),
)
async def import_temario(
    request: Request,
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    dry_run: Annotated[
        bool, Query(description="true: check the file and report what would be imported; store nothing.")
    ] = False,
) -> Any:
    """Imports a temario.db, all or nothing: its topics (and angles) with their SRS state.

    Send it first with `dry_run=true` to preview the report (topics, every row that would be
    skipped and why, columns and tables not imported), then without it to import. Bad values
    skip their row; a file that is not a readable SQLite database is a 422 `invalid_temario`;
    a file over 50 MiB is a 413.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > TEMARIO_MAX_BYTES + MULTIPART_SLACK_BYTES:
        raise _too_large(declared)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise InvalidInput(
            f"Content-Type '{media_type or 'none'}' is not supported: send the temario.db as "
            "multipart/form-data in a field named 'file'."
        )
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("file: attach the temario.db as a form field named 'file'.")
    size = upload.size if upload.size is not None else 0
    if size > TEMARIO_MAX_BYTES:
        raise _too_large(size)
    header = await upload.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise InvalidInput(
            "The file is not a SQLite database (it does not start with 'SQLite format 3'); "
            "upload the temario.db itself, not an export or a copy in another format.",
            error_type="invalid_temario",
        )
    await upload.seek(0)
    report = await scheduler.import_temario(
        learner_id, upload.file, dry_run=dry_run, timeout_s=IMPORT_TIMEOUT_S
    )
    return report.model_dump(mode="json")
