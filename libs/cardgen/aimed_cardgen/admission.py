"""Admission control in front of the model server: the hook, and the slot limiter.

A `CardGenerator` holds one `Admission` slot for each request's attempts. `SlotLimiter`
is the admission this package offers: at most `capacity` requests talk to the model
server at once (its slot count: a request beyond that would only wait inside
llama-server, invisible and unbounded); at most `max_queue` more wait here, first come
first served, each for at most `queue_timeout_s`. Anything beyond is refused at once
with 503 `busy` and a Retry-After, so a burst never piles up into a hang.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from aimed_cardgen.errors import Busy


class Admission(Protocol):
    """Who may talk to the model server now: `slot()` is held around a request's attempts."""

    @property
    def capacity(self) -> int: ...

    def resize(self, capacity: int) -> None:
        """Follows the model server's slot count once it is known (or when it changes)."""
        ...

    def slot(self) -> AbstractAsyncContextManager[float]:
        """Holds one slot for the body; gives the seconds spent waiting for it."""
        ...


class SlotLimiter:
    def __init__(self, capacity: int, max_queue: int, queue_timeout_s: float) -> None:
        self._capacity = max(1, capacity)
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        # Seed for Retry-After before any request finished; replaced by a moving average.
        self._typical_hold_s = 5.0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def resize(self, capacity: int) -> None:
        """Follows the model server's slot count once it is known (or when it changes)."""
        self._capacity = max(1, capacity)
        self._wake()

    def retry_after_s(self) -> int:
        # Time for the queue ahead to drain through the slots, at the recent pace.
        rounds = (self.waiting + self.in_flight) / self._capacity
        return max(1, math.ceil(rounds * self._typical_hold_s))

    def _busy(self, why: str) -> Busy:
        retry = self.retry_after_s()
        return Busy(
            f"The generator is busy ({why}); retry in about {retry} s.",
            detail={
                "in_flight": self.in_flight,
                "queued": self.waiting,
                "slots": self._capacity,
                "max_queue": self.max_queue,
                "retry_after_s": retry,
            },
            headers={"Retry-After": str(retry)},
        )

    def _wake(self) -> None:
        # The slot is handed over here, so no newcomer can overtake a waiter.
        while self._waiters and self.in_flight < self._capacity:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    async def _acquire(self) -> None:
        if self.in_flight < self._capacity and not self._waiters:
            self.in_flight += 1
            return
        if len(self._waiters) >= self.max_queue:
            raise self._busy(f"all {self._capacity} slots in use and {self.waiting} requests queued")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # The slot arrived in the same instant as the timeout or the cancellation.
                self._release()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise self._busy(f"no slot freed within {self.queue_timeout_s:g} s") from None
            raise

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Holds one slot for the body; yields the seconds spent waiting for it."""
        start = time.perf_counter()
        await self._acquire()
        acquired = time.perf_counter()
        try:
            yield acquired - start
        finally:
            held = time.perf_counter() - acquired
            self._typical_hold_s = 0.8 * self._typical_hold_s + 0.2 * held
            self._release()
