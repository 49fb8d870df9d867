"""Which llama-server slot serves a request: the one that holds its topic's prompt, if idle.

Every card of a topic starts with the same system message, topic and context
(`build_messages`), so the slot that served the topic's last card still holds that
prefix and evaluates only the new task. llama-server's own choice (slot similarity) is
not enough: every request shares the long system message, so a new topic lands in the
slot of the previous one and pushes its context out, and llama-server saves a slot's
prompt to its RAM cache only when less than half of it is kept (measured:
docs/benchmarks.md). This map sends a topic back to its slot when that slot is idle,
and a new topic to the idle slot used least recently. It never picks a busy slot:
llama-server would make the request wait for it while another slot sits idle.

It knows only the requests of the generator that owns it: one generator per model server.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aimed_contracts.prompts import GenerationTask


def prefix_key(task: GenerationTask) -> str:
    """What one topic's prompts share: the topic and the passages, as sent."""
    shared = [task.topic, [[c.label, c.text] for c in task.contexts]]
    return hashlib.sha256(json.dumps(shared, ensure_ascii=False).encode()).hexdigest()


class SlotAffinity:
    def __init__(self) -> None:
        self._holds: dict[int, str] = {}
        self._last_used: dict[int, float] = {}
        self._busy: set[int] = set()

    def choose(self, key: str, slots: int) -> int | None:
        """The idle slot holding `key`, else the idle slot used least recently; None if none is idle."""
        idle = [slot for slot in range(slots) if slot not in self._busy]
        if not idle:
            return None
        holding = [slot for slot in idle if self._holds.get(slot) == key]
        return holding[0] if holding else min(idle, key=lambda slot: self._last_used.get(slot, 0.0))

    @contextmanager
    def slot(self, key: str, slots: int) -> Iterator[int | None]:
        """Holds a slot for a request's attempts; None (llama-server chooses) if none is idle."""
        chosen = self.choose(key, slots)
        if chosen is not None:
            self._busy.add(chosen)
            self._holds[chosen] = key
        try:
            yield chosen
        finally:
            if chosen is not None:
                self._busy.discard(chosen)
                self._last_used[chosen] = time.monotonic()
