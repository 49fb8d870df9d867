"""Request and response shapes of the study loop, stats, imports and backups (no tables here)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from aimed_contracts.fields import RowId
from aimed_scheduler.models import AnglePublic, CardKind, ItemType, SrsStatePublic, TopicPublic
from aimed_scheduler.srs import Grade


class NextStatePreview(BaseModel):
    interval_minutes: int
    due_at: AwareDatetime | None
    level: int
    mastered: bool


class NextStates(BaseModel):
    fail: NextStatePreview
    hard: NextStatePreview
    good: NextStatePreview
    easy: NextStatePreview


class StudyItem(BaseModel):
    item_type: ItemType
    item_id: int
    topic: TopicPublic
    angle: AnglePublic | None
    state: SrsStatePublic
    reason: Literal["due", "new"]
    card_kinds: list[CardKind]
    next_states: NextStates


class StudyItems(BaseModel):
    data: list[StudyItem]
    count: int


class ReviewCreate(BaseModel):
    item_type: ItemType
    item_id: RowId
    card_id: RowId | None = None
    grade: Grade
    answer: str | None = Field(default=None, max_length=20_000)
    chosen_option: int | None = Field(default=None, ge=0, le=9)
    correct: bool | None = None
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    idempotency_key: str = Field(min_length=1, max_length=200)
    expected_version: RowId


class ReviewOutcomePublic(BaseModel):
    review_id: int
    replayed: bool
    item_type: ItemType
    item_id: int
    grade: Grade
    reviewed_at: AwareDatetime
    state: SrsStatePublic
    angle_created: AnglePublic | None


class UndoPublic(BaseModel):
    review_id: int
    item_type: ItemType
    item_id: int
    state: SrsStatePublic
    angle_removed_id: int | None


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
