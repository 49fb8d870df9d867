"""The study loop: compose the scheduler's next item with ready cards, and record reviews."""

from __future__ import annotations

import asyncio
from typing import Any

from aimed_contracts.errors import InvalidInput, ServiceError
from aimed_gateway.prefetch import Prefetcher, card_key, is_generator_busy, is_generator_down
from aimed_gateway.schemas import (
    GRADES,
    AnglePublic,
    CardPublic,
    GradePreview,
    ItemType,
    ReviewCreate,
    ReviewResult,
    StudyItemPublic,
    StudyNext,
)
from aimed_gateway.upstream import Scheduler

GENERATOR_DOWN_MESSAGE = (
    "El generador de tarjetas no está disponible; las tarjetas ya generadas siguen sirviendo y "
    "tus repasos se guardan. Faltan: {missing}."
)
# What the learner reads for each card kind (the API's `missing` keeps the identifiers).
CARD_KIND_NAMES = {
    "battlecard": "la BattleCard",
    "drill_mcq": "el caso clínico de opción múltiple",
    "drill_open": "el reto de respuesta abierta",
}


def interval_label(minutes: float) -> str:
    """A short Spanish label for a grade button: "10 min", "5 h", "6 d", "3,5 meses"."""
    if minutes < 60:
        return f"{max(1, round(minutes))} min"
    if minutes < 24 * 60:
        return f"{round(minutes / 60)} h"
    days = minutes / (24 * 60)
    if days < 60:
        return f"{round(days)} d"
    if days < 365:
        return f"{days / 30:.1f} meses".replace(".", ",")
    return f"{days / 365:.1f} años".replace(".", ",")


def grade_previews(next_states: dict[str, Any]) -> list[GradePreview]:
    previews = []
    for grade in GRADES:
        outcome = next_states.get(grade)
        if outcome is None:
            continue
        minutes = float(outcome["interval_minutes"])
        previews.append(
            GradePreview(
                grade=grade,
                interval_minutes=minutes,
                label=interval_label(minutes),
                due_at=outcome.get("due_at"),
                level=outcome.get("level"),
                mastered=outcome.get("mastered"),
            )
        )
    return previews


async def next_item(
    learner_id: str,
    scheduler: Scheduler,
    prefetcher: Prefetcher,
    clock_headers: dict[str, str],
    wait_s: float,
) -> StudyNext:
    page = await scheduler.get_json(
        scheduler.learner_path(learner_id, "/next"), params={"limit": 1}, headers=clock_headers
    )
    if not page["data"]:
        return StudyNext(status="done", message="No hay repasos pendientes ni temas nuevos para hoy.")
    item: dict[str, Any] = page["data"][0]
    kinds: list[str] = item["card_kinds"]
    cards = await prefetcher.stored_cards(learner_id, item)
    missing = [k for k in kinds if k not in cards]
    errors: list[ServiceError] = []
    if missing:
        tasks = {kind: prefetcher.ensure(learner_id, item, kind) for kind in missing}
        await asyncio.wait(tasks.values(), timeout=wait_s)
        for kind, task in tasks.items():
            if not task.done():
                continue
            error = task.exception()
            if error is None:
                cards[kind] = task.result()
            elif isinstance(error, ServiceError):
                if not is_generator_busy(error):
                    errors.append(error)
            else:
                raise error
        missing = [k for k in kinds if k not in cards]
    prefetcher.request_fill(learner_id, clock_headers)
    public_item = StudyItemPublic.model_validate(item)
    available = prefetcher.generator_available is not False
    if not missing:
        return StudyNext(
            status="ready",
            item=public_item,
            cards=[CardPublic.model_validate(cards[k]) for k in kinds],
            card_to_grade_id=cards[kinds[-1]]["id"],
            grade_previews=grade_previews(item["next_states"]),
            generation_available=available,
        )
    down = [e for e in errors if is_generator_down(e)]
    if down:
        return StudyNext(
            status="generation_unavailable",
            item=public_item,
            missing=missing,  # type: ignore[arg-type]
            retry_after_s=prefetcher.settings.retry_after_s * 10,
            message=GENERATOR_DOWN_MESSAGE.format(missing=" y ".join(CARD_KIND_NAMES[k] for k in missing)),
            detail=[e.envelope()["error"] for e in down],
            generation_available=False,
        )
    if errors:
        return StudyNext(
            status="generation_failed",
            item=public_item,
            missing=missing,  # type: ignore[arg-type]
            retry_after_s=prefetcher.settings.retry_after_s,
            message=errors[0].message,
            detail=[e.envelope()["error"] for e in errors],
            generation_available=available,
        )
    return StudyNext(
        status="generating",
        item=public_item,
        missing=missing,  # type: ignore[arg-type]
        retry_after_s=prefetcher.settings.retry_after_s,
        message="Generando la tarjeta con el modelo local…",
        generation_available=available,
        progress=await prefetcher.progress(learner_id, item, missing),
    )


def _mcq_outcome(card: dict[str, Any], chosen: int | None) -> tuple[bool | None, int | None]:
    if card["kind"] != "drill_mcq":
        if chosen is not None:
            raise InvalidInput("chosen_option: only a multiple-choice drill (drill_mcq) has options.")
        return None, None
    payload = card["payload"]
    answer = int(payload["answer_index"])
    if chosen is None:
        return None, answer
    if not 0 <= chosen < len(payload["options"]):
        raise InvalidInput(
            f"chosen_option: {chosen} is out of range; this card has {len(payload['options'])} options "
            f"(0–{len(payload['options']) - 1})."
        )
    return chosen == answer, answer


async def record_review(
    learner_id: str,
    review: ReviewCreate,
    scheduler: Scheduler,
    prefetcher: Prefetcher,
    clock_headers: dict[str, str],
) -> ReviewResult:
    card = await scheduler.get_json(scheduler.learner_path(learner_id, f"/cards/{review.card_id}"))
    if card["kind"] == "battlecard":
        raise InvalidInput(
            "card_id: a BattleCard is a study sheet and is not graded; grade the drill that follows it "
            "(StudyNext.card_to_grade_id)."
        )
    correct, answer_index = _mcq_outcome(card, review.chosen_option)
    angle_id = card.get("angle_id")
    item_type: ItemType = "angle" if angle_id is not None else "topic"
    item_id = angle_id if angle_id is not None else card["topic_id"]
    outcome = await scheduler.post_json(
        scheduler.learner_path(learner_id, "/reviews"),
        {
            "item_type": item_type,
            "item_id": item_id,
            "card_id": card["id"],
            "grade": review.grade,
            "answer": review.answer,
            "chosen_option": review.chosen_option,
            "correct": correct,
            "duration_ms": review.duration_ms,
            "idempotency_key": review.idempotency_key,
            "expected_version": review.state_version,
        },
        headers=clock_headers,
    )
    angle = outcome.get("angle_created")
    variant = "not_needed"
    message = None
    if isinstance(angle, dict):
        # Recorded before any generation can start, so the variant never repeats the question.
        prefetcher.failed_questions[(learner_id, str(angle["id"]))] = str(
            card["payload"].get("question") or ""
        )
        key = card_key(learner_id, {"item_type": "angle", "item_id": angle["id"]}, "drill_mcq")
        if prefetcher.generator_available is False:
            variant = "unavailable"
            message = (
                "Se creó un sub-nodo; el generador no está disponible y su variante se generará después."
            )
        else:
            variant = "already_running" if key in prefetcher.inflight else "started"
        prefetcher.request_fill(learner_id, clock_headers, force=True)
    else:
        prefetcher.request_fill(learner_id, clock_headers)
    return ReviewResult(
        review_id=outcome["review_id"],
        replayed=bool(outcome.get("replayed")),
        item_type=item_type,
        item_id=item_id,
        grade=review.grade,
        reviewed_at=outcome.get("reviewed_at"),
        correct=correct,
        correct_option=answer_index,
        state=outcome["state"],
        angle_created=AnglePublic.model_validate(angle) if isinstance(angle, dict) else None,
        variant_generation=variant,  # type: ignore[arg-type]
        message=message,
    )
