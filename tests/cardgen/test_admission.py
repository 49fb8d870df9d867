"""The slot limiter: at most `capacity` inside, a bounded FIFO queue, busy beyond."""

from __future__ import annotations

import asyncio

import pytest

from aimed_cardgen.admission import SlotLimiter
from aimed_cardgen.errors import Busy

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _hold(limiter: SlotLimiter, release: asyncio.Event, log: list[str], name: str) -> None:
    async with limiter.slot():
        log.append(name)
        await release.wait()


async def test_beyond_slots_and_queue_is_busy_with_retry_after() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=1, queue_timeout_s=5)
    release = asyncio.Event()
    log: list[str] = []
    first = asyncio.create_task(_hold(limiter, release, log, "first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(_hold(limiter, release, log, "second"))
    await asyncio.sleep(0)
    assert (limiter.in_flight, limiter.waiting) == (1, 1)

    with pytest.raises(Busy) as refused:
        async with limiter.slot():
            pytest.fail("a third request must not get in")
    assert refused.value.status_code == 503
    assert refused.value.error_type == "busy"
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert refused.value.detail["queued"] == 1

    release.set()
    await asyncio.gather(first, second)
    assert log == ["first", "second"]
    assert (limiter.in_flight, limiter.waiting) == (0, 0)


async def test_queue_is_first_come_first_served() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=5, queue_timeout_s=5)
    release = asyncio.Event()
    log: list[str] = []
    tasks = []
    for name in ["a", "b", "c", "d"]:
        tasks.append(asyncio.create_task(_hold(limiter, release, log, name)))
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert log == ["a", "b", "c", "d"]


async def test_waiting_past_the_queue_timeout_is_busy_and_leaks_nothing() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=2, queue_timeout_s=0.05)
    release = asyncio.Event()
    holder = asyncio.create_task(_hold(limiter, release, [], "holder"))
    await asyncio.sleep(0)
    with pytest.raises(Busy, match="no slot freed within"):
        async with limiter.slot():
            pytest.fail("must time out")
    assert (limiter.in_flight, limiter.waiting) == (1, 0)
    release.set()
    await holder
    assert limiter.in_flight == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=1, queue_timeout_s=5)
    release = asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(_hold(limiter, release, log, "holder"))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(_hold(limiter, release, log, "cancelled"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    late = asyncio.create_task(_hold(limiter, release, log, "late"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, late)
    assert log == ["holder", "late"]
    assert limiter.in_flight == 0


async def test_resize_lets_waiters_in() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=4, queue_timeout_s=5)
    release = asyncio.Event()
    log: list[str] = []
    tasks = [asyncio.create_task(_hold(limiter, release, log, str(i))) for i in range(3)]
    await asyncio.sleep(0)
    assert limiter.in_flight == 1
    limiter.resize(3)
    await asyncio.sleep(0)
    assert (limiter.in_flight, limiter.waiting) == (3, 0)
    release.set()
    await asyncio.gather(*tasks)
