"""`GET /health`: this process and the model server behind it.

Always 200 while this process can answer; `status` says whether it can generate:
`ok` when the model server answers with a loaded model, `degraded` when it does not
(the reason is in `backend.error`). A liveness probe checks the code, a readiness
probe checks `status`.
"""

from __future__ import annotations

from fastapi import APIRouter

from aimed_contracts.errors import ServiceError
from aimed_generator.deps import BackendDep, LimiterDep
from aimed_generator.models import AdmissionHealth, BackendHealth, Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def get_health(backend: BackendDep, limiter: LimiterDep) -> Health:
    try:
        upstream = await backend.health()
    except ServiceError as exc:
        backend_health = BackendHealth(
            kind=backend.kind.value, url=backend.base_url, reachable=False, error=exc.message
        )
    else:
        backend_health = BackendHealth(
            kind=backend.kind.value, url=backend.base_url, reachable=True, **upstream
        )
        if backend_health.slots and backend_health.slots != limiter.capacity:
            limiter.resize(backend_health.slots)
    return Health(
        status="ok" if backend_health.model_loaded else "degraded",
        backend=backend_health,
        admission=AdmissionHealth(
            slots=limiter.capacity,
            in_flight=limiter.in_flight,
            queued=limiter.waiting,
            max_queue=limiter.max_queue,
        ),
    )
