"""The scheduler's internal API (study loop, cards, imports, stats): the shapes both ends of the wire use.

The scheduler's routes declare these models and the gateway's typed client
(aimed_gateway.scheduler_client) parses its answers into them, so a field is renamed in
one place. The public API (the gateway's own schemas) is a separate contract.

Also here: the rule that ties a card kind to a drill level (one rule, read both ways).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from aimed_contracts.cards import DRILL_KIND_BY_LEVEL
from aimed_contracts.fields import RowId


class ItemType(StrEnum):
    TOPIC = "topic"
    ANGLE = "angle"


class CardKind(StrEnum):
    BATTLECARD = "battlecard"
    DRILL_MCQ = "drill_mcq"
    DRILL_OPEN = "drill_open"


class TopicStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class AngleStatus(StrEnum):
    ACTIVE = "active"
    MASTERED = "mastered"


class CardOrigin(StrEnum):
    """Who wrote a card: the model (the normal case) or a person (the demo's example cards)."""

    MODEL = "model"
    EXAMPLE = "example"


class Algorithm(StrEnum):
    """Which algorithm computes intervals (`srs.SrsSettings.algorithm`)."""

    SM2 = "sm2"
    FSRS = "fsrs"


GradeName = Literal["fail", "hard", "good", "easy"]
StudyReason = Literal["due", "new"]


class _Wire(BaseModel):
    """A shape of the scheduler's API. No `from_attributes` here: the scheduler asks for it where
    it reads a row, and the gateway's open public models must not read these by attribute (they
    would drop the fields they do not declare)."""


# --- the kind <-> level rule --------------------------------------------------------

DRILL_LEVEL_BY_KIND: dict[CardKind, int] = {
    CardKind(kind): level for level, kind in DRILL_KIND_BY_LEVEL.items()
}


def card_kinds_for(reason: StudyReason, level: int) -> list[CardKind]:
    """The cards one study step shows: a new topic its BattleCard then a level-1 drill,
    anything else the drill of its level."""
    if reason == "new":
        return [CardKind.BATTLECARD, CardKind(DRILL_KIND_BY_LEVEL[1])]
    return [CardKind(DRILL_KIND_BY_LEVEL[2 if level == 2 else 1])]


def card_level(kind: CardKind | str, item_level: int) -> int:
    """The level a card of `kind` is written at: a drill's kind fixes it, a BattleCard takes the item's."""
    return DRILL_LEVEL_BY_KIND.get(CardKind(kind), item_level)


# --- learners -----------------------------------------------------------------------


class _LearnerUpdate(BaseModel):
    timezone: str | None = Field(default=None, min_length=1, max_length=64, examples=["Europe/Madrid"])
    daily_new_limit: int | None = Field(default=None, ge=0, le=1000)


class SrsSettingsUpdate(BaseModel):
    """Any subset of the SRS settings: the one declaration of their names, types and ranges.

    The scheduler's core (`srs.SrsSettings`) holds their defaults and checks the merged result
    as a whole with the same ranges; a test ties its field names to these."""

    initial_ease: float | None = Field(default=None, ge=1.3, le=5.0)
    minimum_ease: float | None = Field(default=None, ge=1.0, le=5.0)
    relearn_minutes: int | None = Field(default=None, ge=1, le=1439)
    hard_interval_days: int | None = Field(default=None, ge=1, le=365)
    first_interval_days: int | None = Field(default=None, ge=1, le=365)
    second_interval_days: int | None = Field(default=None, ge=1, le=365)
    easy_bonus: float | None = Field(default=None, ge=1.0, le=5.0)
    level2_min_ease: float | None = Field(default=None, ge=1.3, le=5.0)
    level2_min_interval_days: int | None = Field(default=None, ge=0, le=3650)
    mastery_n: int | None = Field(default=None, ge=1, le=50)
    angle_mastery_n: int | None = Field(default=None, ge=1, le=50)
    perspectives: list[Annotated[str, StringConstraints(pattern=r"\S")]] | None = Field(
        default=None, min_length=1, max_length=25, description="Distinct, non-blank."
    )
    algorithm: Literal["sm2", "fsrs"] | None = Field(
        default=None,
        description="Switching replays the review log into FSRS; switching back keeps SM-2's last state.",
    )
    desired_retention: float | None = Field(default=None, ge=0.7, le=0.99)
    fsrs_level2_min_stability_days: float | None = Field(default=None, ge=1, le=3650)
    fsrs_level2_max_difficulty: float | None = Field(default=None, ge=1, le=10)


class LearnerSettingsUpdate(SrsSettingsUpdate, _LearnerUpdate):
    """Any subset of a learner's settings: timezone and daily new-topic limit, then the SRS
    settings (fields run in that order: pydantic collects the bases' fields last base first)."""


class LearnerSettingsPublic(_Wire):
    timezone: str
    daily_new_limit: int
    initial_ease: float
    minimum_ease: float
    relearn_minutes: int
    hard_interval_days: int
    first_interval_days: int
    second_interval_days: int
    easy_bonus: float
    level2_min_ease: float
    level2_min_interval_days: int
    mastery_n: int
    angle_mastery_n: int
    perspectives: list[str]
    algorithm: Algorithm
    desired_retention: float
    fsrs_level2_min_stability_days: float
    fsrs_level2_max_difficulty: float


class LearnerPublic(_Wire):
    id: int
    name: str
    timezone: str
    daily_new_limit: int
    created_at: datetime
    settings: LearnerSettingsPublic


# --- SRS state ----------------------------------------------------------------------


class SrsSummary(_Wire):
    """The state shown in topic and angle lists."""

    level: int
    mastered: bool
    due_at: datetime | None
    ease_factor: float
    interval_days: int
    repetitions: int
    lapses: int
    version: int


class SrsMemory(_Wire):
    """What the scheduler stores of one study item's SRS state (`srs.SrsState` but its kind): the
    one list of those fields for the wire and the backup."""

    ease_factor: float
    interval_minutes: int
    repetitions: int
    lapses: int
    due_at: AwareDatetime | None
    level: int
    mastery_streak: int
    mastered_at: AwareDatetime | None
    first_reviewed_at: AwareDatetime | None
    last_reviewed_at: AwareDatetime | None
    # FSRS memory; None until FSRS has seen the item (and absent from backups written before FSRS).
    stability: float | None = None
    difficulty: float | None = None
    fsrs_phase: str | None = None
    fsrs_step: int | None = None


class SrsStatePublic(SrsMemory):
    """The whole SRS state of one study item, with its optimistic-lock version."""

    item_type: ItemType
    item_id: int
    interval_days: int
    mastered: bool
    version: int


# --- topics, angles, contexts ---------------------------------------------------------


class TopicPublic(_Wire):
    """What is stored, as stored: input rules are not re-checked on the way out, so a row
    written before a rule existed still reads (it can then be fixed with PATCH)."""

    id: int
    title: str
    modulo: str
    priority: int
    date_assigned: date
    status: TopicStatus
    created_at: datetime
    srs: SrsSummary
    angle_count: int


class TopicsPublic(_Wire):
    data: list[TopicPublic]
    count: int


class AnglePublic(_Wire):
    id: int
    topic_id: int
    perspective: str
    label: str
    origin_review_id: int | None
    status: AngleStatus
    created_at: datetime
    srs: SrsSummary


class AnglesPublic(_Wire):
    data: list[AnglePublic]
    count: int


class ContextPublic(_Wire):
    id: int
    topic_id: int
    source_label: str
    text: str
    content_hash: str
    created_at: datetime


class ContextsPublic(_Wire):
    data: list[ContextPublic]
    count: int


class GuidelineSectionBase(BaseModel):
    """A section of a guideline to store as a context, in an existing topic (`topic_id`) or in a
    new one (`new_topic`, which each side types with its own TopicCreate): exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=200_000)
    topic_id: RowId | None = None
    new_topic: BaseModel | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.topic_id is None) == (self.new_topic is None):
            raise ValueError("give exactly one of topic_id (an existing topic) or new_topic")
        if not self.text.strip():
            raise ValueError("text is blank")
        return self


# --- cards --------------------------------------------------------------------------


class CardCreate(_Wire):
    topic_id: RowId
    angle_id: RowId | None = None
    kind: CardKind
    level: int = Field(ge=1, le=2)
    model_id: str = Field(min_length=1, max_length=300)
    origin: CardOrigin = CardOrigin.MODEL
    markdown: str = Field(default="", max_length=200_000)
    payload: dict[str, Any]
    context_ids: list[RowId] = Field(default_factory=list)
    grounding_report: dict[str, Any] = Field(default_factory=dict)


class CardPublic(CardCreate):
    id: int
    created_at: datetime


class CardsPublic(_Wire):
    data: list[CardPublic]
    count: int


# --- the study loop -------------------------------------------------------------------


class NextStatePreview(_Wire):
    interval_minutes: int
    due_at: datetime | None
    level: int
    mastered: bool


class NextStates(_Wire):
    fail: NextStatePreview
    hard: NextStatePreview
    good: NextStatePreview
    easy: NextStatePreview


class StudyItem(_Wire):
    item_type: ItemType
    item_id: int
    topic: TopicPublic
    angle: AnglePublic | None
    state: SrsStatePublic
    reason: StudyReason
    card_kinds: list[CardKind]
    next_states: NextStates


class StudyItems(_Wire):
    data: list[StudyItem]
    count: int


class ReviewCreate(_Wire):
    """An answer. With `card_id` the scheduler reads the study item, and whether an MCQ choice
    was right, from the card; without it (a review not tied to a card) send `item_type` and
    `item_id`. A BattleCard is not graded."""

    card_id: RowId | None = None
    item_type: ItemType | None = None
    item_id: RowId | None = None
    grade: GradeName
    answer: str | None = Field(default=None, max_length=20_000)
    chosen_option: int | None = Field(default=None, ge=0, le=9)
    correct: bool | None = Field(
        default=None, description="Ignored with an MCQ card: the scheduler compares `chosen_option` itself."
    )
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    idempotency_key: str = Field(min_length=1, max_length=200)
    expected_version: RowId


class ReviewOutcomePublic(_Wire):
    review_id: int
    replayed: bool
    item_type: ItemType
    item_id: int
    grade: GradeName
    reviewed_at: datetime
    state: SrsStatePublic
    angle_created: AnglePublic | None
    correct: bool | None = Field(default=None, description="An MCQ card: whether `chosen_option` was right.")
    correct_option: int | None = Field(default=None, description="An MCQ card: the right option's index.")
    question: str | None = Field(
        default=None, description="The graded card's question (an angle's variant must not repeat it)."
    )


class UndoPublic(_Wire):
    review_id: int
    item_type: ItemType
    item_id: int
    state: SrsStatePublic
    angle_removed_id: int | None


class ReviewRecord(_Wire):
    """One entry of the review log, as read back (undone ones too) and as a backup holds it."""

    id: int
    item_type: Literal["topic", "angle"]
    item_id: int
    topic_id: int
    card_id: int | None
    grade: str
    answer: str | None
    chosen_option: int | None
    correct: bool | None
    duration_ms: int | None
    idempotency_key: str
    previous_state: dict[str, Any]
    new_state: dict[str, Any]
    previous_version: int
    new_version: int
    reviewed_at: AwareDatetime
    undone_at: AwareDatetime | None


# --- imports and stats ------------------------------------------------------------------


class ImportRowError(_Wire):
    row: int
    field: str
    message: str


class ImportResult(_Wire):
    created: int
    data: list[TopicPublic]


class DayCount(_Wire):
    date: date
    count: int


class ModuloStats(_Wire):
    modulo: str
    total: int
    level1: int
    level2: int
    mastered: int


class StatsPublic(_Wire):
    due_today: int
    new_available_today: int
    forecast: list[DayCount]
    by_modulo: list[ModuloStats]
    heatmap: list[DayCount]
    success_rate: float | None
    reviews_total: int
    angles_in_progress: int
    cards_ready: int = Field(description="Drills already generated and not yet answered (every page).")


class TemarioSkippedRow(_Wire):
    """A row of the temario that is not imported: where it is, which column, and why."""

    table: str
    row: int = Field(description="1-based, in the table's own order.")
    source_id: str | int | float | None = Field(default=None, description="The row's `id` column, if any.")
    column: str | None = Field(default=None, description="The source column with the unusable value.")
    reason: str


class TemarioTopicPreview(_Wire):
    """A topic the import stores (or would store, in a dry run), with the state it keeps."""

    title: str
    modulo: str
    priority: int
    date_assigned: date
    due_at: AwareDatetime | None
    level: int


class TemarioReport(_Wire):
    dry_run: bool
    tables: list[str]
    mapped_columns: dict[str, dict[str, str]] = Field(description="Per table: source column -> field.")
    unmapped_columns: dict[str, list[str]] = Field(description="Per table: columns that were not imported.")
    topics_imported: int
    angles_imported: int
    rows_skipped: list[TemarioSkippedRow]
    notes: list[str]
    topics: list[TemarioTopicPreview] = Field(description="Every topic imported, in the file's order.")
