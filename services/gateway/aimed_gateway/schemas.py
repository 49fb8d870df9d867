"""Request and response models of the public API (`/api/v1`): the contract with the frontend.

Names here are stable: the frontend codes against them. Models that mirror a
scheduler resource (topics, angles, stats, settings) declare the fields the UI relies
on and let any further scheduler field through (`extra="allow"`), so the scheduler can
grow without the gateway dropping data. Shapes that are the same on both sides (the
stats' day counts and modulo rows, a skipped temario row) are the scheduler's wire models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aimed_contracts.fields import MAX_ROW_ID, CalendarDate, ModuloName, RowId, TopicTitle
from aimed_contracts.scheduler_api import DayCount, LearnerSettingsUpdate, ModuloStats, TemarioSkippedRow
from aimed_gateway.generation_progress import CardProgress

Grade = Literal["fail", "hard", "good", "easy"]
GRADES: tuple[Grade, ...] = ("fail", "hard", "good", "easy")
ItemType = Literal["topic", "angle"]
CardKindName = Literal["battlecard", "drill_mcq", "drill_open"]
TopicStatus = Literal["active", "suspended"]
AngleStatus = Literal["active", "mastered"]
# Ids are the scheduler's integer ids, passed through unchanged (bounded: aimed_contracts.fields).
Id = RowId


class _Open(BaseModel):
    """A mirror of a scheduler resource: known fields typed, the rest passed through."""

    model_config = ConfigDict(extra="allow")


# --- health, identity, model -------------------------------------------------------


class DependencyHealth(BaseModel):
    name: str
    ok: bool
    detail: str | None = None


class ModelHealth(BaseModel):
    available: bool = Field(description="Whether the model server answers with a model loaded.")
    name: str | None = Field(default=None, description="The model's file name (never its path).")


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description='"ok" only when the scheduler, the generator and the model all answer.'
    )
    dependencies: list[DependencyHealth]
    model: ModelHealth


class LearnerPublic(_Open):
    id: Id
    name: str
    timezone: str
    daily_new_limit: int
    created_at: datetime | None = None


class ModelStatus(BaseModel):
    """What the settings view shows about card generation."""

    available: bool
    model_id: str | None = Field(default=None, description="The model's file name (never its path).")
    policy: Literal["strict", "flag"]
    prefetch_depth: int
    message: str


# --- SRS state and study loop ------------------------------------------------------


class SrsStatePublic(_Open):
    item_type: ItemType | None = None
    item_id: Id | None = None
    level: int
    mastered: bool
    due_at: datetime | None = None
    interval_minutes: int | None = None
    interval_days: int | None = None
    ease_factor: float | None = None
    repetitions: int | None = None
    lapses: int | None = None
    mastery_streak: int | None = None
    version: int


class SrsSummary(_Open):
    """The SRS state summary shown in topic and angle lists."""

    level: int
    mastered: bool
    due_at: datetime | None = None
    ease_factor: float
    interval_days: int
    repetitions: int
    lapses: int


class GradePreview(BaseModel):
    """What a grade would do: the button label ("10 min", "6 d") and the resulting state."""

    grade: Grade
    interval_minutes: float
    label: str
    due_at: datetime | None = None
    level: int | None = None
    mastered: bool | None = None


class TopicPublic(_Open):
    id: Id
    title: str
    modulo: str
    priority: int
    date_assigned: date
    status: Literal["active", "suspended"]
    created_at: datetime | None = None
    srs: SrsSummary
    angle_count: int = 0


class AnglePublic(_Open):
    id: Id
    topic_id: Id
    perspective: str
    label: str = Field(description='"Sub-nodo B", "Sub-nodo C", …')
    status: Literal["active", "mastered"]
    origin_review_id: Id | None = None
    created_at: datetime | None = None
    srs: SrsSummary | None = None


class CardPublic(BaseModel):
    """A generated card as the UI shows it: the validated JSON and its Markdown rendering."""

    id: Id
    kind: CardKindName
    level: int
    topic_id: Id
    angle_id: Id | None = None
    payload: dict[str, Any] = Field(description="The card JSON (aimed_contracts.cards).")
    markdown: str
    grounding_report: dict[str, Any] | None = None
    model_id: str | None = None
    origin: Literal["model", "example"] = Field(
        default="model",
        description="`model`: written by `model_id`; `example`: a hand-written example card of the demo.",
    )
    created_at: datetime | None = None


class StudyItemPublic(BaseModel):
    item_type: ItemType
    item_id: Id
    reason: Literal["due", "new"]
    topic: TopicPublic
    angle: AnglePublic | None = None
    state: SrsStatePublic
    card_kinds: list[CardKindName]


StudyStatus = Literal["ready", "generating", "generation_unavailable", "generation_failed", "done"]


class StudyNext(BaseModel):
    """The answer of GET /study/next.

    - `ready`: `cards` holds one card per `item.card_kinds`, in order (a new topic:
      BattleCard then Drill). Grade the last one (`card_to_grade_id`).
    - `generating`: the cards are being generated; ask again after `retry_after_s`.
    - `generation_unavailable`: the generator is down and no stored card serves this
      item; `missing` says which card kinds are missing, `message` what to do.
    - `generation_failed`: the generator refused the card (e.g. it was not grounded in
      the topic's context, or the topic has no context yet); `message` says why and
      `detail` carries the generator's problems. Asking again retries.
    - `done`: nothing is due and no new topic is available today.
    """

    status: StudyStatus
    item: StudyItemPublic | None = None
    cards: list[CardPublic] = Field(default_factory=list)
    card_to_grade_id: Id | None = None
    grade_previews: list[GradePreview] = Field(default_factory=list)
    missing: list[CardKindName] = Field(default_factory=list)
    retry_after_s: float | None = None
    message: str | None = None
    detail: Any = None
    generation_available: bool = True
    progress: list[CardProgress] = Field(
        default_factory=list,
        description="`generating`: each missing card the model is writing, with its tokens so far.",
    )


class ReviewCreate(BaseModel):
    card_id: Id = Field(description="The drill card that was answered (StudyNext.card_to_grade_id).")
    grade: Grade
    state_version: int = Field(
        ge=1, le=MAX_ROW_ID, description="StudyNext.item.state.version: the state the learner saw."
    )
    idempotency_key: str = Field(min_length=8, max_length=200)
    answer: str | None = Field(default=None, max_length=20_000, description="Free text (level-2 drills).")
    chosen_option: int | None = Field(default=None, ge=0, le=4, description="MCQ: the chosen option index.")
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)


VariantGeneration = Literal["started", "already_running", "unavailable", "not_needed"]


class ReviewResult(BaseModel):
    review_id: Id
    replayed: bool
    item_type: ItemType
    item_id: Id
    grade: Grade
    reviewed_at: datetime | None = None
    correct: bool | None = Field(default=None, description="MCQ only: whether the chosen option was right.")
    correct_option: int | None = None
    state: SrsStatePublic
    angle_created: AnglePublic | None = None
    variant_generation: VariantGeneration = "not_needed"
    message: str | None = None


class UndoResult(_Open):
    review_id: Id
    item_type: ItemType
    item_id: Id
    state: SrsStatePublic
    angle_removed_id: Id | None = None


# --- topics and contexts -----------------------------------------------------------


class TopicCreate(BaseModel):
    # Title and modulo are trimmed, then must not be empty: the same types as the scheduler's.
    title: TopicTitle
    modulo: ModuloName
    priority: int = Field(default=3, ge=1, le=5, description="1 = highest.")
    date_assigned: CalendarDate | None = Field(
        default=None, description="YYYY-MM-DD; empty: available from today."
    )
    status: Literal["active", "suspended"] = "active"


class TopicUpdate(BaseModel):
    title: TopicTitle | None = None
    modulo: ModuloName | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    date_assigned: CalendarDate | None = Field(default=None, description="YYYY-MM-DD.")
    status: Literal["active", "suspended"] | None = None


class TopicsPublic(BaseModel):
    data: list[TopicPublic]
    count: int


class TopicImportResult(_Open):
    created: int
    data: list[TopicPublic]


class ContextCreate(BaseModel):
    source_label: str = Field(default="", max_length=300, description='Empty: "Texto pegado".')
    text: str = Field(min_length=1, max_length=200_000)
    format: Literal["text", "markdown"] = "text"


class ContextPublic(_Open):
    id: Id
    topic_id: Id
    source_label: str
    text: str
    content_hash: str | None = None
    created_at: datetime | None = None


class ContextsPublic(BaseModel):
    data: list[ContextPublic]
    count: int


class AnglesPublic(BaseModel):
    data: list[AnglePublic]
    count: int


# --- dashboard, settings, backup ---------------------------------------------------


class StatsPublic(_Open):
    """Dashboard figures; dates are in the learner's timezone."""

    due_today: int
    new_available_today: int | None = None
    forecast: list[DayCount]
    by_modulo: list[ModuloStats]
    heatmap: list[DayCount]
    success_rate: float | None = None
    reviews_total: int
    angles_in_progress: int
    cards_ready: int | None = Field(
        default=None, description="Drills already generated and not yet answered."
    )
    generation_available: bool | None = None


class SettingsPublic(_Open):
    """The learner's settings (timezone, daily limit, SRS constants) as the scheduler stores them."""

    timezone: str
    daily_new_limit: int
    relearn_minutes: int
    easy_bonus: float
    level2_min_ease: float
    level2_min_interval_days: int
    mastery_n: int
    angle_mastery_n: int
    perspectives: list[str]
    algorithm: Literal["sm2", "fsrs"] = Field(description="Which algorithm computes intervals.")
    desired_retention: float = Field(description="FSRS: the recall probability each review is scheduled at.")


class SettingsUpdate(LearnerSettingsUpdate):
    """Any subset of the settings. Each field's range is the scheduler's; the scheduler also
    checks the merged result as a whole (`minimum_ease` ≤ `initial_ease`,
    `second_interval_days` ≥ `first_interval_days`, `timezone` an IANA zone)."""

    model_config = ConfigDict(extra="forbid")


class BackupImportResult(_Open):
    learner_id: Id


# --- temario.db import -------------------------------------------------------------


class TemarioTopicPreview(_Open):
    """A topic the import stores (a dry run: would store), with the SRS state it keeps."""

    title: str
    modulo: str
    priority: int
    date_assigned: date
    due_at: datetime | None = None
    level: int


class TemarioReport(_Open):
    """What importing a temario.db did (`dry_run`: would do); nothing else is stored."""

    dry_run: bool
    tables: list[str]
    mapped_columns: dict[str, dict[str, str]] = Field(description="Per table: source column -> field.")
    unmapped_columns: dict[str, list[str]] = Field(description="Per table: columns not imported.")
    topics_imported: int
    angles_imported: int
    rows_skipped: list[TemarioSkippedRow]
    notes: list[str] = Field(description="Tables not imported and other remarks.")
    topics: list[TemarioTopicPreview]
