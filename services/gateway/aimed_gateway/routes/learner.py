"""The learner's own resources: identity, settings, angles, stats, model status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from aimed_contracts.fields import RowId
from aimed_gateway.deps import (
    ClockHeadersDep,
    GeneratorDep,
    LearnerDep,
    PrefetcherDep,
    SchedulerDep,
    SettingsDep,
)
from aimed_gateway.model_health import check_model
from aimed_gateway.schemas import (
    AnglesPublic,
    AngleStatus,
    LearnerPublic,
    ModelStatus,
    SettingsPublic,
    SettingsUpdate,
    StatsPublic,
)
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(tags=["learner"], responses=ERROR_RESPONSES)


@router.get("/me", response_model=LearnerPublic)
async def get_me(learner_id: LearnerDep, scheduler: SchedulerDep) -> Any:
    return (await scheduler.read_learner(learner_id)).model_dump(mode="json")


@router.get("/settings", response_model=SettingsPublic)
async def get_learner_settings(learner_id: LearnerDep, scheduler: SchedulerDep) -> Any:
    return (await scheduler.read_settings(learner_id)).model_dump(mode="json")


@router.patch("/settings", response_model=SettingsPublic)
async def update_learner_settings(
    update: SettingsUpdate, learner_id: LearnerDep, scheduler: SchedulerDep
) -> Any:
    changed = await scheduler.update_settings(learner_id, update.model_dump(mode="json", exclude_unset=True))
    return changed.model_dump(mode="json")


@router.get("/angles", response_model=AnglesPublic)
async def list_angles(
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    topic_id: RowId | None = None,
    status: AngleStatus | None = None,
) -> Any:
    return (await scheduler.list_angles(learner_id, topic_id=topic_id, status=status)).model_dump(mode="json")


@router.get("/stats", response_model=StatsPublic)
async def get_stats(
    learner_id: LearnerDep,
    scheduler: SchedulerDep,
    prefetcher: PrefetcherDep,
    clock_headers: ClockHeadersDep,
    days: Annotated[int, Query(ge=1, le=365, description="Days of forecast.")] = 30,
) -> Any:
    stats = (await scheduler.stats(learner_id, days, clock_headers)).model_dump(mode="json")
    stats["generation_available"] = prefetcher.generator_available is not False
    return stats


@router.get("/model/status", response_model=ModelStatus)
async def model_status(
    _: LearnerDep, generator: GeneratorDep, prefetcher: PrefetcherDep, settings: SettingsDep
) -> ModelStatus:
    """Whether cards can be generated now (the generator's health, and the model behind it)."""
    model = await check_model(generator)
    prefetcher.note_generator(model.available)
    if not model.generator_reachable:
        message = "El generador no responde: las tarjetas ya generadas siguen disponibles."
    elif model.available:
        message = "Modelo listo para generar tarjetas."
    else:
        message = "El modelo no está listo todavía."
    return ModelStatus(
        available=model.available,
        model_id=model.name,
        policy=settings.generation_policy,
        prefetch_depth=settings.prefetch_depth,
        message=message,
    )
