"""Reads the database after the load and lists every inconsistency it finds (an empty list: none).

The review log is the evidence. Each review row carries the state it was applied to, the
state it produced and the versions before and after, so the audit can replay every item
from its initial state with the pure SM-2 core and compare the result with what is stored:

- every acknowledged key is stored exactly once, with the acknowledged review id, and
  nothing else is stored (a refused or never-acknowledged answer left no row);
- each review's new state is what the SM-2 core computes from its previous state, grade
  and time;
- each review was applied to the state the item had at that moment (the new state of the
  review before it, undone reviews aside): a lost update would show as a review whose
  previous state is not the current one, or as two reviews applied to the same version;
- the stored state equals the replay, and its version counts every review and undo;
- a Fail on a topic opened exactly one angle unless undone, and an angle's status follows
  its mastery.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from aimed_scheduler.models import Angle, Learner, Review, SrsStateRow
from aimed_scheduler.repository import row_to_state, srs_settings_of
from aimed_scheduler.srs import Grade, SrsSettings, SrsState, review


def audit_review_log(
    engine: Engine,
    acknowledged: dict[tuple[int, str], int],
    refused: set[tuple[int, str]],
    undone: set[int],
) -> list[str]:
    problems: list[str] = []
    with Session(engine) as session:
        rows = session.exec(select(Review)).all()
    stored: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in rows:
        assert row.id is not None
        stored[(row.learner_id, row.idempotency_key)].append(row.id)
    for key, review_id in sorted(acknowledged.items()):
        ids = stored.get(key, [])
        if ids != [review_id]:
            problems.append(f"acknowledged key {key} → review {review_id}; stored as {ids}")
    for key in sorted(set(stored) - set(acknowledged)):
        problems.append(f"stored review(s) {stored[key]} for key {key} that was never acknowledged")
    for key in sorted(refused & set(stored)):
        problems.append(f"key {key} was refused with 409 yet stored as {stored[key]}")
    stamped = {row.id for row in rows if row.undone_at is not None}
    if stamped != undone:
        problems.append(f"undone reviews stored {sorted(stamped)}; acknowledged undos {sorted(undone)}")
    return problems


def _initial_state(row: SrsStateRow, angle: Angle | None, settings: SrsSettings) -> SrsState:
    if angle is None:
        return SrsState.new_topic(settings.initial_ease)
    return SrsState.new_angle(settings.initial_ease, angle.created_at)


def _replay_item(
    label: str, row: SrsStateRow, angle: Angle | None, reviews: list[Review], settings: SrsSettings
) -> list[str]:
    problems: list[str] = []
    state = _initial_state(row, angle, settings)
    version = 1
    applied_to: dict[int, int] = {}
    for entry in reviews:
        before = SrsState.from_dict(entry.previous_state)
        after = SrsState.from_dict(entry.new_state)
        when: datetime = entry.reviewed_at
        if entry.previous_version in applied_to:
            problems.append(
                f"{label}: reviews {applied_to[entry.previous_version]} and {entry.id} "
                f"were both applied to version {entry.previous_version}"
            )
        applied_to[entry.previous_version] = entry.id or 0
        if entry.previous_version != version or entry.new_version != version + 1:
            problems.append(
                f"{label}: review {entry.id} went {entry.previous_version}→{entry.new_version}, "
                f"the item was at version {version}"
            )
        if before != state:
            problems.append(f"{label}: review {entry.id} was applied to {before}, the item was at {state}")
        recomputed, _ = review(before, Grade(entry.grade), when, settings)
        if recomputed != after:
            problems.append(f"{label}: review {entry.id} stored {after}, SM-2 gives {recomputed}")
        version += 1
        state = after
        if entry.undone_at is not None:
            state = before
            version += 1
    stored = row_to_state(row)
    if stored != state:
        problems.append(f"{label}: stored state {stored} is not the replay of its reviews {state}")
    if row.version != version:
        problems.append(f"{label}: stored version {row.version}, its reviews and undos give {version}")
    if angle is not None and (angle.status == "mastered") != stored.mastered:
        problems.append(f"{label}: status {angle.status} but mastered={stored.mastered}")
    return problems


def audit_srs_states(engine: Engine) -> list[str]:
    problems: list[str] = []
    with Session(engine) as session:
        learners = {learner.id: learner for learner in session.exec(select(Learner)).all()}
        angles = {angle.id: angle for angle in session.exec(select(Angle)).all()}
        states = session.exec(select(SrsStateRow).order_by(col(SrsStateRow.id))).all()
        log = session.exec(select(Review).order_by(col(Review.id))).all()
    by_item: dict[tuple[str, int], list[Review]] = defaultdict(list)
    for entry in log:
        by_item[(entry.item_type, entry.item_id)].append(entry)
    for row in states:
        settings = srs_settings_of(learners[row.learner_id])
        if row.angle_id is None:
            key, angle = ("topic", row.topic_id), None
        else:
            key, angle = ("angle", row.angle_id), angles[row.angle_id]
        label = f"learner {row.learner_id} {key[0]} {key[1]}"
        problems += _replay_item(label, row, angle, by_item.pop(key, []), settings)
    for (item_type, item_id), entries in by_item.items():
        if item_type == "topic" or any(e.undone_at is None for e in entries):
            problems.append(f"reviews {[e.id for e in entries]} of {item_type} {item_id}, which has no state")
    problems += _audit_angles(log, list(angles.values()), learners)
    return problems


def _audit_angles(log: list[Review], angles: list[Angle], learners: dict[int | None, Learner]) -> list[str]:
    problems: list[str] = []
    opened = {angle.origin_review_id: angle for angle in angles}
    for entry in log:
        if entry.item_type != "topic" or entry.grade != Grade.FAIL.value:
            continue
        angle = opened.pop(entry.id, None)
        if entry.undone_at is not None and angle is not None:
            problems.append(f"undone review {entry.id} still has its angle {angle.id}")
        perspectives = srs_settings_of(learners[entry.learner_id]).perspectives
        used = sum(1 for a in angles if a.topic_id == entry.topic_id)
        if entry.undone_at is None and angle is None and used < len(perspectives):
            problems.append(f"Fail review {entry.id} on topic {entry.topic_id} opened no angle")
    for origin, angle in opened.items():
        problems.append(f"angle {angle.id} was opened by review {origin}, which is not a Fail on a topic")
    return problems
