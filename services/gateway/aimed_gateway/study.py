"""The study loop: compose the scheduler's next item with ready cards, and record reviews."""

from __future__ import annotations

import asyncio

from aimed_contracts import scheduler_api
from aimed_contracts.errors import ServiceError
from aimed_contracts.scheduler_api import CardKind, ItemType, NextStatePreview, NextStates
from aimed_gateway.prefetch import Prefetcher, card_key, is_generator_busy, is_generator_down, item_card_key
from aimed_gateway.scheduler_client import Headers, SchedulerClient
from aimed_gateway.schemas import (
    GRADES,
    CardPublic,
    GradePreview,
    ReviewCreate,
    ReviewResult,
    StudyItemPublic,
    StudyNext,
)

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


def grade_previews(next_states: NextStates) -> list[GradePreview]:
    previews = []
    for grade in GRADES:
        outcome: NextStatePreview = getattr(next_states, grade)
        minutes = float(outcome.interval_minutes)
        previews.append(
            GradePreview(
                grade=grade,
                interval_minutes=minutes,
                label=interval_label(minutes),
                due_at=outcome.due_at,
                level=outcome.level,
                mastered=outcome.mastered,
            )
        )
    return previews


async def next_item(
    learner_id: str,
    scheduler: SchedulerClient,
    prefetcher: Prefetcher,
    clock_headers: Headers,
    wait_s: float,
) -> StudyNext:
    # One read of the calendar serves the answer (the first item) and the prefetch (the next K,
    # and after this item's review the next K again, with one more: see Prefetcher.window_size).
    items = await scheduler.next_items(learner_id, prefetcher.window_size, clock_headers)
    if not items:
        return StudyNext(status="done", message="No hay repasos pendientes ni temas nuevos para hoy.")
    item = items[0]
    kinds = [str(k) for k in item.card_kinds]
    cards = await prefetcher.stored_cards(learner_id, item)
    missing = [k for k in kinds if k not in cards]
    errors: list[ServiceError] = []
    if missing:
        tasks = {kind: prefetcher.ensure(learner_id, item, kind, checked=True) for kind in missing}
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
    known = {item_card_key(learner_id, item, k): cards.get(k) for k in kinds}
    prefetcher.request_fill(learner_id, clock_headers, items=items, known=known)
    public_item = StudyItemPublic.model_validate(item.model_dump(mode="json"))
    available = prefetcher.generator_available is not False
    if not missing:
        return StudyNext(
            status="ready",
            item=public_item,
            cards=[CardPublic.model_validate(cards[k].model_dump(mode="json")) for k in kinds],
            card_to_grade_id=cards[kinds[-1]].id,
            grade_previews=grade_previews(item.next_states),
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


async def record_review(
    learner_id: str,
    review: ReviewCreate,
    scheduler: SchedulerClient,
    prefetcher: Prefetcher,
    clock_headers: Headers,
) -> ReviewResult:
    # By card: the scheduler reads the item, refuses a BattleCard and judges an MCQ choice.
    outcome = await scheduler.record_review(
        learner_id,
        scheduler_api.ReviewCreate(
            card_id=review.card_id,
            grade=review.grade,
            answer=review.answer,
            chosen_option=review.chosen_option,
            duration_ms=review.duration_ms,
            idempotency_key=review.idempotency_key,
            expected_version=review.state_version,
        ),
        clock_headers,
    )
    angle = outcome.angle_created
    variant = "not_needed"
    message = None
    if angle is not None:
        # Recorded before any generation can start, so the variant never repeats the question.
        prefetcher.remember_failed_question(learner_id, angle.id, outcome.question)
        key = card_key(learner_id, ItemType.ANGLE, angle.id, CardKind.DRILL_MCQ)
        if prefetcher.generator_available is False:
            variant = "unavailable"
            message = (
                "Se creó un sub-nodo; el generador no está disponible y su variante se generará después."
            )
        else:
            variant = "already_running" if prefetcher.is_generating(key) else "started"
        # The angle is a new study item: the next items must be read again to start its variant.
        prefetcher.request_fill(learner_id, clock_headers, force=True)
    else:
        prefetcher.fill_after_review(learner_id, clock_headers, outcome.item_type, outcome.item_id)
    return ReviewResult.model_validate(
        {
            **outcome.model_dump(mode="json", exclude={"question"}),
            "grade": review.grade,  # as sent (a replay answers the first submit's outcome)
            "variant_generation": variant,
            "message": message,
        }
    )
