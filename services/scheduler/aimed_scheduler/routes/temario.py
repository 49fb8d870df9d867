"""Import of a learner's existing temario.db (multipart upload)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from aimed_contracts.fields import RowId
from aimed_scheduler import repository, temario
from aimed_scheduler.deps import NowDep, WriteSessionDep
from aimed_scheduler.schemas import TemarioReport
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["import"], responses=ERROR_RESPONSES)


@router.post("/import/temario")
def import_temario(
    learner_id: RowId,
    file: Annotated[UploadFile, File(description="the learner's temario.db (SQLite)")],
    session: WriteSessionDep,
    now: NowDep,
    dry_run: bool = False,
) -> TemarioReport:
    """Reports mapped/unmapped columns and skipped rows; `dry_run=true` writes nothing."""
    learner = repository.get_learner(session, learner_id)
    with tempfile.TemporaryDirectory(prefix="aimed-temario-") as folder:
        path = Path(folder) / "temario.db"
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target)
        return temario.import_temario(session, learner, path, now, dry_run=dry_run)
