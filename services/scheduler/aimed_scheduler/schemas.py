"""Request and response shapes of stats, imports and backups (no tables here); the study loop's
are the wire contract in aimed_contracts.scheduler_api."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, Field

from aimed_contracts.scheduler_api import TopicPublic


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportResult(BaseModel):
    created: int
    data: list[TopicPublic]


class DayCount(BaseModel):
    date: date
    count: int


class ModuloStats(BaseModel):
    modulo: str
    total: int
    level1: int
    level2: int
    mastered: int


class StatsPublic(BaseModel):
    due_today: int
    new_available_today: int
    forecast: list[DayCount]
    by_modulo: list[ModuloStats]
    heatmap: list[DayCount]
    success_rate: float | None
    reviews_total: int
    angles_in_progress: int


class TemarioSkippedRow(BaseModel):
    """A row of the temario that is not imported: where it is, which column, and why."""

    table: str
    row: int = Field(description="1-based, in the table's own order.")
    source_id: str | int | float | None = Field(default=None, description="The row's `id` column, if any.")
    column: str | None = Field(default=None, description="The source column with the unusable value.")
    reason: str


class TemarioTopicPreview(BaseModel):
    """A topic the import stores (or would store, in a dry run), with the state it keeps."""

    title: str
    modulo: str
    priority: int
    date_assigned: date
    due_at: AwareDatetime | None
    level: int


class TemarioReport(BaseModel):
    dry_run: bool
    tables: list[str]
    mapped_columns: dict[str, dict[str, str]] = Field(description="Per table: source column -> field.")
    unmapped_columns: dict[str, list[str]] = Field(description="Per table: columns that were not imported.")
    topics_imported: int
    angles_imported: int
    rows_skipped: list[TemarioSkippedRow]
    notes: list[str]
    topics: list[TemarioTopicPreview] = Field(description="Every topic imported, in the file's order.")
