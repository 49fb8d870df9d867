"""Guideline PDFs: preview the sections of an uploaded PDF, then store the chosen ones as
contexts of existing or new topics (one transaction in the scheduler)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from aimed_contracts.errors import InvalidInput, PayloadTooLarge
from aimed_contracts.fields import RowId
from aimed_contracts.scheduler_api import GuidelineSectionBase
from aimed_gateway.deps import LearnerDep, SchedulerDep, SettingsDep
from aimed_gateway.guideline_pdf import extract_sections
from aimed_gateway.routes.uploads import file_upload_doc
from aimed_gateway.schemas import ContextPublic, TopicCreate, TopicPublic
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/guidelines", tags=["guidelines"], responses=ERROR_RESPONSES)


class SectionPreview(BaseModel):
    index: int = Field(description="Position in the document, from 0.")
    title: str
    text: str
    first_page: int
    last_page: int
    chars: int


class GuidelinePreview(BaseModel):
    filename: str
    pages: int
    sections: list[SectionPreview]
    dropped_lines: list[str] = Field(description="Running headers and footers left out.")
    pages_without_text: list[int] = Field(description="Pages with no text layer (images only).")


class GuidelineSection(GuidelineSectionBase):
    topic_id: RowId | None = Field(default=None, description="An existing topic; or give new_topic.")
    new_topic: TopicCreate | None = Field(
        default=None, description="A topic to create; sections naming the same title and modulo share it."
    )


class GuidelineImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_label: str = Field(min_length=1, max_length=200, description="The guideline's name.")
    sections: list[GuidelineSection] = Field(min_length=1, max_length=200)


class GuidelineImportResult(BaseModel):
    topics_created: list[TopicPublic]
    contexts: list[ContextPublic]
    already_stored: int = Field(description="Sections whose text the topic already had (not copied).")


async def _pdf_upload(request: Request, limit: int) -> tuple[str, bytes]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise InvalidInput(
            f"Content-Type '{media_type or 'none'}' is not supported: send multipart/form-data "
            "with the PDF in a field named 'file'."
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(f"The upload is {declared} bytes; the limit for a PDF is {limit} bytes.")
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("file: attach the guideline as a form field named 'file' (a .pdf).")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The PDF is larger than the limit of {limit} bytes.")
    if not data:
        raise InvalidInput("file: the uploaded PDF is empty.")
    return upload.filename or "documento.pdf", data


@router.post("/preview", response_model=GuidelinePreview, openapi_extra=file_upload_doc("The PDF."))
async def preview_guideline(request: Request, _: LearnerDep, settings: SettingsDep) -> GuidelinePreview:
    """Splits a PDF into titled sections (nothing is stored). 422 with `pdf_without_text` for a
    scan, `pdf_too_many_pages`, `pdf_encrypted` or `pdf_unreadable`; 413 over the size limit."""
    filename, data = await _pdf_upload(request, settings.max_pdf_bytes)
    document = await run_in_threadpool(extract_sections, data, max_pages=settings.max_pdf_pages)
    return GuidelinePreview(
        filename=filename,
        pages=document.pages,
        sections=[
            SectionPreview(
                index=i,
                title=s.title,
                text=s.text,
                first_page=s.first_page,
                last_page=s.last_page,
                chars=len(s.text),
            )
            for i, s in enumerate(document.sections)
        ],
        dropped_lines=document.dropped_lines,
        pages_without_text=document.pages_without_text,
    )


@router.post("/import", response_model=GuidelineImportResult, status_code=201)
async def import_guideline(body: GuidelineImport, learner_id: LearnerDep, scheduler: SchedulerDep) -> Any:
    """Stores the chosen sections as contexts, all or nothing: an unknown topic (404) or a bad
    section (422) stores nothing. The context's label is "<source_label> · <section title>"."""
    return await scheduler.import_guideline_sections(learner_id, body.model_dump(mode="json"))
