"""Import of a learner's existing temario.db (multipart upload)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from aimed_contracts.errors import PayloadTooLarge
from aimed_contracts.fields import RowId
from aimed_contracts.limits import TEMARIO_MAX_BYTES
from aimed_contracts.scheduler_api import TemarioReport
from aimed_scheduler import repository, temario
from aimed_scheduler.deps import NowDep, WriteSessionDep
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["import"], responses=ERROR_RESPONSES)

CHUNK_BYTES = 1024 * 1024


@router.post("/import/temario")
def import_temario(
    learner_id: RowId,
    file: Annotated[UploadFile, File(description="the learner's temario.db (SQLite), at most 50 MiB")],
    session: WriteSessionDep,
    now: NowDep,
    dry_run: bool = False,
) -> TemarioReport:
    """Reports mapped/unmapped columns, skipped rows and the topics; `dry_run=true` writes nothing."""
    learner = repository.get_learner(session, learner_id)
    with tempfile.TemporaryDirectory(prefix="aimed-temario-") as folder:
        path = Path(folder) / "temario.db"
        written = 0
        with path.open("wb") as target:
            while chunk := file.file.read(CHUNK_BYTES):
                written += len(chunk)
                if written > TEMARIO_MAX_BYTES:
                    raise PayloadTooLarge(
                        f"The temario is larger than the limit of {TEMARIO_MAX_BYTES} bytes (50 MiB).",
                        detail={"max_bytes": TEMARIO_MAX_BYTES},
                    )
                target.write(chunk)
        return temario.import_temario(session, learner, path, now, dry_run=dry_run)
