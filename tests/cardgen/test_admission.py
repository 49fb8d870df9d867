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


class _Requests:
    """Requests that each take a slot of `limiter` and hold it until `release`; `log` is the
    order they got in."""

    def __init__(self, limiter: SlotLimiter) -> None:
        self.limiter = limiter
        self.release = asyncio.Event()
        self.log: list[str] = []

    async def start(self, name: str) -> asyncio.Task[None]:
        """Sends one, and lets it reach its slot or its place in the queue."""
        task = asyncio.create_task(self._hold(name))
        await asyncio.sleep(0)
        return task

    async def _hold(self, name: str) -> None:
        async with self.limiter.slot():
            self.log.append(name)
            await self.release.wait()


async def test_beyond_slots_and_queue_is_busy_with_retry_after() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=1, queue_timeout_s=5)
    requests = _Requests(limiter)
    first = await requests.start("first")
    second = await requests.start("second")
    assert (limiter.in_flight, limiter.waiting) == (1, 1)

    with pytest.raises(Busy) as refused:
        async with limiter.slot():
            pytest.fail("a third request must not get in")
    assert refused.value.status_code == 503
    assert refused.value.error_type == "busy"
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert refused.value.detail["queued"] == 1

    requests.release.set()
    await asyncio.gather(first, second)
    assert requests.log == ["first", "second"]
    assert (limiter.in_flight, limiter.waiting) == (0, 0)


async def test_queue_is_first_come_first_served() -> None:
    requests = _Requests(SlotLimiter(capacity=1, max_queue=5, queue_timeout_s=5))
    tasks = [await requests.start(name) for name in ["a", "b", "c", "d"]]
    requests.release.set()
    await asyncio.gather(*tasks)
    assert requests.log == ["a", "b", "c", "d"]


async def test_waiting_past_the_queue_timeout_is_busy_and_leaks_nothing() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=2, queue_timeout_s=0.05)
    requests = _Requests(limiter)
    holder = await requests.start("holder")
    with pytest.raises(Busy, match="no slot freed within"):
        async with limiter.slot():
            pytest.fail("must time out")
    assert (limiter.in_flight, limiter.waiting) == (1, 0)
    requests.release.set()
    await holder
    assert limiter.in_flight == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=1, queue_timeout_s=5)
    requests = _Requests(limiter)
    holder = await requests.start("holder")
    waiter = await requests.start("cancelled")
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    late = await requests.start("late")
    requests.release.set()
    await asyncio.gather(holder, late)
    assert requests.log == ["holder", "late"]
    assert limiter.in_flight == 0


async def test_resize_lets_waiters_in() -> None:
    limiter = SlotLimiter(capacity=1, max_queue=4, queue_timeout_s=5)
    requests = _Requests(limiter)
    tasks = [await requests.start(str(i)) for i in range(3)]
    assert limiter.in_flight == 1
    limiter.resize(3)
    await asyncio.sleep(0)
    assert (limiter.in_flight, limiter.waiting) == (3, 0)
    requests.release.set()
    await asyncio.gather(*tasks)
