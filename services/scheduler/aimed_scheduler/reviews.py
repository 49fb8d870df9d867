"""Recording and undoing reviews: one transaction each, correct under concurrent submits.

Correctness comes from the database, not from process locks (several scheduler processes may
share one PostgreSQL): the idempotency key is a unique constraint, and the state update is
`UPDATE … WHERE version = expected` (0 rows → someone else answered first → 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from aimed_contracts.errors import Conflict, InvalidInput
from aimed_contracts.scheduler_api import (
    AngleStatus,
    CardKind,
    ItemType,
    ReviewCreate,
    ReviewOutcomePublic,
    UndoPublic,
)
from aimed_scheduler import repository
from aimed_scheduler.models import Angle, Card, Learner, Review, SrsStateRow
from aimed_scheduler.srs import Grade, SrsSettings, SrsState, next_angle, review


@dataclass(frozen=True)
class _Answer:
    """What is being graded: the study item, and (answered by card) the card."""

    item_type: ItemType
    item_id: int
    card: Card | None


def _answer_of(session: Session, learner_id: int, body: ReviewCreate) -> _Answer:
    """By card (the gateway's form): the item is the card's, a BattleCard is refused and an
    MCQ choice is checked against the card. By item: the card, if any, need only exist (checked
    after the idempotency lookup, as before answers by card existed)."""
    if (body.item_type is None) != (body.item_id is None):
        raise InvalidInput("Send item_type and item_id together, or neither (the card's item is used).")
    if body.item_type is not None and body.item_id is not None:
        return _Answer(body.item_type, body.item_id, None)
    if body.card_id is None:
        raise InvalidInput("Send card_id, or item_type and item_id together.")
    card = repository.get_owned(session, Card, learner_id, body.card_id)
    if card.kind == CardKind.BATTLECARD.value:
        raise InvalidInput(
            "card_id: a BattleCard is a study sheet and is not graded; grade the drill that follows it "
            "(StudyNext.card_to_grade_id)."
        )
    if card.kind != CardKind.DRILL_MCQ.value and body.chosen_option is not None:
        raise InvalidInput("chosen_option: only a multiple-choice drill (drill_mcq) has options.")
    options = card.payload.get("options") or []
    if body.chosen_option is not None and not 0 <= body.chosen_option < len(options):
        raise InvalidInput(
            f"chosen_option: {body.chosen_option} is out of range; this card has {len(options)} options "
            f"(0–{len(options) - 1})."
        )
    if card.angle_id is not None:
        return _Answer(ItemType.ANGLE, card.angle_id, card)
    return _Answer(ItemType.TOPIC, card.topic_id, card)


def _correct_option(card: Card | None) -> int | None:
    if card is None or card.kind != CardKind.DRILL_MCQ.value or "answer_index" not in card.payload:
        return None
    return int(card.payload["answer_index"])


def _correct(card: Card | None, body: ReviewCreate, by_card: bool) -> bool | None:
    """By card, the scheduler judges an MCQ choice itself; by item, `correct` is as sent."""
    if not by_card:
        return body.correct
    answer = _correct_option(card)
    return None if answer is None or body.chosen_option is None else body.chosen_option == answer


def _stored_review(session: Session, learner_id: int, key: str) -> Review | None:
    return session.exec(
        select(Review).where(Review.learner_id == learner_id, Review.idempotency_key == key)
    ).first()


def _outcome(
    session: Session,
    stored: Review,
    *,
    replayed: bool,
    card: Card | None = None,
    created: tuple[Angle, SrsStateRow] | None = None,
) -> ReviewOutcomePublic:
    """`card`: the review's card as this request loaded it (a replay reads it if needed);
    `created`: the angle this very request opened, if any (a replay looks it up)."""
    assert stored.id is not None
    item_type = ItemType(stored.item_type)
    if card is None or card.id != stored.card_id:
        card = session.get(Card, stored.card_id) if stored.card_id is not None else None
    if replayed:
        angle = session.exec(select(Angle).where(Angle.origin_review_id == stored.id)).first()
        if angle is not None and angle.id is not None:
            created = (angle, repository.angle_state_row(session, angle.id))
    return ReviewOutcomePublic(
        review_id=stored.id,
        replayed=replayed,
        item_type=item_type,
        item_id=stored.item_id,
        grade=Grade(stored.grade).value,
        reviewed_at=stored.reviewed_at,
        state=repository.state_public_from_dict(
            item_type, stored.item_id, stored.new_state, stored.new_version
        ),
        angle_created=repository.angle_public(*created) if created is not None else None,
        correct=stored.correct,
        correct_option=_correct_option(card),
        question=None if card is None else str(card.payload.get("question") or "") or None,
    )


def _replay(session: Session, stored: Review, answer: _Answer, body: ReviewCreate) -> ReviewOutcomePublic:
    if stored.item_type != answer.item_type.value or stored.item_id != answer.item_id:
        raise Conflict(
            f"Idempotency key '{body.idempotency_key}' was already used for {stored.item_type} "
            f"{stored.item_id}; send a new key for a new answer.",
            error_type="idempotency_key_reused",
        )
    return _outcome(session, stored, replayed=True)


def _replay_or_conflict(
    session: Session, learner_id: int, answer: _Answer, body: ReviewCreate, current: int | None
) -> ReviewOutcomePublic:
    """After a lost race: the winner either was this same submit (replay) or another answer (409)."""
    session.rollback()
    stored = _stored_review(session, learner_id, body.idempotency_key)
    if stored is not None:
        return _replay(session, stored, answer, body)
    raise _stale(answer, body, current)


def _stale(answer: _Answer, body: ReviewCreate, current: int | None) -> Conflict:
    return Conflict(
        f"The {answer.item_type.value} {answer.item_id} changed since you loaded it (you sent version "
        f"{body.expected_version}, stored is {current if current is not None else 'newer'}). "
        "Reload the next item and answer again.",
        error_type="stale_version",
        detail={"expected_version": body.expected_version, "current_version": current},
    )


def record_review(
    session: Session, learner: Learner, body: ReviewCreate, now: datetime
) -> ReviewOutcomePublic:
    assert learner.id is not None
    # Captured now: a failed flush expires every loaded object.
    learner_id = learner.id
    by_card = body.item_type is None or body.item_id is None
    answer = _answer_of(session, learner_id, body)
    stored = _stored_review(session, learner_id, body.idempotency_key)
    if stored is not None:
        return _replay(session, stored, answer, body)

    row, angle = repository.owned_item_state(session, learner_id, answer.item_type, answer.item_id)
    card = answer.card
    if not by_card and body.card_id is not None:
        card = repository.get_owned(session, Card, learner_id, body.card_id)
    if row.version != body.expected_version:
        # Another process may have committed this very submit since the key lookup above.
        return _replay_or_conflict(session, learner_id, answer, body, row.version)

    settings = repository.srs_settings_of(learner)
    previous = repository.row_to_state(row)
    grade = Grade(body.grade)
    new_state, outcome = review(previous, grade, now, settings)
    assert row.id is not None

    entry = Review(
        learner_id=learner_id,
        item_type=answer.item_type.value,
        item_id=answer.item_id,
        topic_id=row.topic_id,
        card_id=body.card_id,
        grade=grade.value,
        answer=body.answer,
        chosen_option=body.chosen_option,
        correct=_correct(answer.card, body, by_card),
        duration_ms=body.duration_ms,
        idempotency_key=body.idempotency_key,
        previous_state=previous.to_dict(),
        new_state=new_state.to_dict(),
        previous_version=row.version,
        new_version=row.version + 1,
        reviewed_at=now,
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:
        return _replay_or_conflict(session, learner_id, answer, body, None)

    if not repository.write_state(session, row.id, body.expected_version, new_state):
        return _replay_or_conflict(session, learner_id, answer, body, None)

    if angle is not None:
        angle.status = (AngleStatus.MASTERED if new_state.mastered else AngleStatus.ACTIVE).value
        session.add(angle)
    created = None
    if angle is None and outcome.requests_angle:
        created = _open_angle(session, learner_id, row.topic_id, entry, now, settings)
    session.commit()
    return _outcome(session, entry, replayed=False, card=card, created=created)


def _open_angle(
    session: Session, learner_id: int, topic_id: int, origin: Review, now: datetime, settings: SrsSettings
) -> tuple[Angle, SrsStateRow] | None:
    spec = next_angle(repository.used_perspectives(session, topic_id), settings)
    if spec is None:
        return None
    angle = Angle(
        learner_id=learner_id,
        topic_id=topic_id,
        perspective=spec.perspective,
        label=spec.label,
        origin_review_id=origin.id,
        status=AngleStatus.ACTIVE.value,
        created_at=now,
    )
    session.add(angle)
    session.flush()
    state = SrsState.new_angle(settings.initial_ease, now)
    row = SrsStateRow(
        learner_id=learner_id,
        item_type=ItemType.ANGLE.value,
        topic_id=topic_id,
        angle_id=angle.id,
        version=1,
        **repository.state_columns(state),
    )
    session.add(row)
    return angle, row


def undo_last(session: Session, learner: Learner, now: datetime) -> UndoPublic:
    assert learner.id is not None
    last = session.exec(
        select(Review)
        .where(Review.learner_id == learner.id, col(Review.undone_at).is_(None))
        .order_by(col(Review.id).desc())
        .limit(1)
    ).first()
    if last is None or last.id is None:
        raise Conflict("There is no review left to undo.", error_type="nothing_to_undo")
    item_type = ItemType(last.item_type)
    row = repository.item_state_row(session, item_type, last.item_id)
    # Compare content, not versions: an earlier undo bumped the version but left exactly the
    # state this review produced.
    if repository.row_to_state(row) != SrsState.from_dict(last.new_state):
        raise Conflict(
            f"The {item_type.value} {last.item_id} changed after review {last.id}; "
            "it can no longer be undone.",
            error_type="stale_version",
            detail={"review_id": last.id, "current_version": row.version},
        )
    marked = session.execute(
        update(Review)
        .where(col(Review.id) == last.id, col(Review.undone_at).is_(None))
        .values(undone_at=now)
        .execution_options(synchronize_session=False)
    )
    restored = SrsState.from_dict(last.previous_state)
    restored_version = row.version + 1
    assert row.id is not None
    reverted = repository.write_state(session, row.id, row.version, restored)
    if marked.rowcount != 1 or not reverted:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("Another request changed this review at the same time; reload and retry.")

    removed = session.exec(select(Angle.id).where(Angle.origin_review_id == last.id)).first()
    if removed is not None:
        # Its SRS state and cards go with it (ON DELETE CASCADE).
        session.execute(delete(Angle).where(col(Angle.id) == removed))
    if item_type is ItemType.ANGLE:
        session.execute(
            update(Angle)
            .where(col(Angle.id) == last.item_id)
            .values(status=(AngleStatus.MASTERED if restored.mastered else AngleStatus.ACTIVE).value)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return UndoPublic(
        review_id=last.id,
        item_type=item_type,
        item_id=last.item_id,
        state=repository.state_public_from_dict(
            item_type, last.item_id, last.previous_state, restored_version
        ),
        angle_removed_id=removed,
    )
