"""The immutable SRS state of one study item (a topic or an angle)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, get_args, get_type_hints

MINUTES_PER_DAY = 1440


class ItemKind(StrEnum):
    TOPIC = "topic"
    ANGLE = "angle"


class FsrsPhase(StrEnum):
    """py-fsrs's card states, by name (FSRS's learning steps, long-term review, relearning steps)."""

    LEARNING = "learning"
    REVIEW = "review"
    RELEARNING = "relearning"


def require_utc(value: datetime, name: str) -> datetime:
    """Accepts only timezone-aware datetimes and normalises them to UTC."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SrsState:
    """`interval_minutes` is the gap that produced `due_at` (10 min after a Fail, days·1440 otherwise).

    `mastery_streak` counts consecutive successful reviews done at level 2 (topics) or
    consecutive successes at any level (angles). `due_at` is None for a topic never
    reviewed (it is "new") and for a mastered angle (it left the calendar).

    SM-2 owns `ease_factor` and `repetitions`; FSRS owns `stability` (days), `difficulty`
    (1–10), `fsrs_phase` and `fsrs_step`, None until FSRS has seen the item. Each algorithm
    leaves the other's fields as they were, so switching back finds them intact.
    """

    item_kind: ItemKind
    ease_factor: float
    interval_minutes: int = 0
    repetitions: int = 0
    lapses: int = 0
    due_at: datetime | None = None
    level: int = 1
    mastery_streak: int = 0
    mastered_at: datetime | None = None
    first_reviewed_at: datetime | None = None
    last_reviewed_at: datetime | None = None
    stability: float | None = None
    difficulty: float | None = None
    fsrs_phase: FsrsPhase | None = None
    fsrs_step: int | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.ease_factor < 1.0:
            problems.append(f"ease_factor must be >= 1.0, got {self.ease_factor}")
        for name in ("interval_minutes", "repetitions", "lapses", "mastery_streak"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.stability is not None and self.stability <= 0:
            problems.append(f"stability must be > 0 days, got {self.stability}")
        if self.difficulty is not None and not 1.0 <= self.difficulty <= 10.0:
            problems.append(f"difficulty must be between 1 and 10, got {self.difficulty}")
        if self.fsrs_step is not None and self.fsrs_step < 0:
            problems.append(f"fsrs_step must be >= 0, got {self.fsrs_step}")
        if self.level not in (1, 2):
            problems.append(f"level must be 1 or 2, got {self.level}")
        for name in ("due_at", "mastered_at", "first_reviewed_at", "last_reviewed_at"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                problems.append(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
        if problems:
            raise ValueError("invalid SRS state: " + "; ".join(problems))

    @classmethod
    def new_topic(cls, initial_ease: float) -> SrsState:
        return cls(item_kind=ItemKind.TOPIC, ease_factor=initial_ease)

    @classmethod
    def new_angle(cls, initial_ease: float, now: datetime) -> SrsState:
        """An angle is due at once: the learner meets it in the same session as the Fail."""
        return cls(item_kind=ItemKind.ANGLE, ease_factor=initial_ease, due_at=require_utc(now, "now"))

    @property
    def interval_days(self) -> int:
        return self.interval_minutes // MINUTES_PER_DAY

    @property
    def is_new(self) -> bool:
        return self.last_reviewed_at is None

    @property
    def mastered(self) -> bool:
        return self.mastered_at is not None

    def evolve(self, **changes: Any) -> SrsState:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the review log (previous/new state)."""
        values = {name: _to_json(getattr(self, name)) for name in STATE_FIELDS}
        return {"item_kind": self.item_kind.value, **values}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SrsState:
        """Reads `to_dict`'s form. A field that may be None may be absent (snapshots from before
        FSRS lack its keys); the others must be there."""
        values: dict[str, Any] = {}
        for name in STATE_FIELDS:
            kind, optional = _FIELD_TYPES[name]
            raw = data.get(name) if optional else data[name]
            values[name] = None if raw is None else _from_json(name, kind, raw)
        return cls(item_kind=ItemKind(data["item_kind"]), **values)


# Every field of the state but its kind, in order: the rows, the review log and the API follow it.
STATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SrsState) if f.name != "item_kind")


def _field_type(hint: Any) -> tuple[type, bool]:
    """`float` → (float, False); `datetime | None` → (datetime, True)."""
    args = [a for a in get_args(hint) if a is not type(None)]
    if args:
        return args[0], True
    return hint, False


_FIELD_TYPES = {
    name: _field_type(hint) for name, hint in get_type_hints(SrsState).items() if name in STATE_FIELDS
}


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _from_json(name: str, kind: type, raw: Any) -> Any:
    if kind is datetime:
        return require_utc(datetime.fromisoformat(raw), name)
    return kind(raw)
