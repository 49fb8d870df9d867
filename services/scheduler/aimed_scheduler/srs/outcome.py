"""What one answer did, whichever algorithm computed it (the caller persists and reports it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aimed_scheduler.srs.grade import Grade


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    grade: Grade
    reviewed_at: datetime
    interval_minutes: int
    due_at: datetime | None
    level: int
    mastered: bool
    became_mastered: bool
    # A Fail on a topic asks the caller to open the next angle (see srs.angles.next_angle).
    requests_angle: bool
