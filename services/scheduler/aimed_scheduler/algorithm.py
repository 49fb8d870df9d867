"""Switching a learner between SM-2 and FSRS without losing any history (one transaction).

Every study item's state is recomputed by `srs.switch_algorithm` from its review log (undone
reviews excluded): to FSRS the memory is replayed, back to SM-2 its last ease factor and
repetitions are kept. Each row is written only if its version is still the one read, so a
review answered meanwhile is never overwritten (409, retry).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from aimed_contracts.errors import Conflict
from aimed_contracts.scheduler_api import ItemType
from aimed_scheduler import repository
from aimed_scheduler.models import Review, SrsStateRow
from aimed_scheduler.srs import Grade, SrsSettings, switch_algorithm


def _histories(session: Session, learner_id: int) -> dict[tuple[str, int], list[tuple[Grade, datetime]]]:
    rows = session.exec(
        select(Review.item_type, Review.item_id, Review.grade, Review.reviewed_at)
        .where(Review.learner_id == learner_id, col(Review.undone_at).is_(None))
        .order_by(col(Review.id))
    ).all()
    histories: dict[tuple[str, int], list[tuple[Grade, datetime]]] = defaultdict(list)
    for item_type, item_id, grade, reviewed_at in rows:
        histories[(item_type, item_id)].append((Grade(grade), reviewed_at))
    return histories


def switch_learner(session: Session, learner_id: int, settings: SrsSettings) -> int:
    """Rewrites the learner's states for `settings.algorithm`; returns how many changed. No commit."""
    histories = _histories(session, learner_id)
    rows = session.exec(select(SrsStateRow).where(SrsStateRow.learner_id == learner_id)).all()
    changed = 0
    for row in rows:
        item_id = row.angle_id if row.item_type == ItemType.ANGLE.value else row.topic_id
        assert item_id is not None
        state = repository.row_to_state(row)
        switched = switch_algorithm(state, histories.get((row.item_type, item_id), []), settings)
        if switched == state:
            continue
        assert row.id is not None
        if not repository.write_state(session, row.id, row.version, switched):
            session.rollback()
            raise Conflict(
                "A review was recorded while the algorithm was being switched; send the change again.",
                error_type="stale_version",
            )
        changed += 1
    return changed
