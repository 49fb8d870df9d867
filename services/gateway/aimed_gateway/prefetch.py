"""Background card generation: keeps the next K study items' cards ready per learner.

Generated cards are stored in the scheduler (its cards table), so they survive a
restart and keep serving while the generator is down. At most one generation runs
per (learner, item, card kind) at a time: a second request for the same card joins
the task already in flight instead of starting another.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from aimed_contracts.errors import InvalidInput, ServiceError
from aimed_gateway.config import Settings
from aimed_gateway.generation_progress import CardProgress, read_progress
from aimed_gateway.upstream import Generator, Scheduler

log = logging.getLogger("aimed.gateway.prefetch")

# Errors meaning "nothing can be generated now"; a timeout or a refused card is a
# failure of one generation, and `busy` only asks to wait.
GENERATOR_DOWN_TYPES = frozenset({"generator_unavailable", "model_unavailable"})
GENERATOR_BUSY_TYPE = "busy"
DRILL_LEVEL = {"drill_mcq": 1, "drill_open": 2}

CardKey = tuple[str, str, str, str]  # learner id, item type, item id, card kind


def card_key(learner_id: str, item: dict[str, Any], kind: str) -> CardKey:
    return (learner_id, str(item["item_type"]), str(item["item_id"]), kind)


def is_generator_down(error: BaseException) -> bool:
    return isinstance(error, ServiceError) and error.error_type in GENERATOR_DOWN_TYPES


def is_generator_busy(error: BaseException) -> bool:
    return isinstance(error, ServiceError) and error.error_type == GENERATOR_BUSY_TYPE


@dataclass
class Prefetcher:
    scheduler: Scheduler
    generator: Generator
    settings: Settings
    inflight: dict[CardKey, asyncio.Task[dict[str, Any]]] = field(default_factory=dict)
    # The name each in-flight generation has at the generator, whose progress it reports.
    generation_ids: dict[CardKey, str] = field(default_factory=dict)
    generator_available: bool | None = None
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _filling: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # The question a learner failed, by (learner id, angle id): the variant must not repeat it.
    failed_questions: dict[tuple[str, str], str] = field(default_factory=dict)

    async def failed_question(self, learner_id: str, angle: dict[str, Any]) -> str | None:
        """The question the learner failed when `angle` was opened, so the variant avoids it.

        Remembered when the review is recorded; after a gateway restart (or on another
        replica) it is read back from the scheduler: the angle's origin review, its card.
        """
        key = (learner_id, str(angle["id"]))
        if key not in self.failed_questions:
            question = ""
            review_id = angle.get("origin_review_id")
            if review_id is not None:
                review = await self.scheduler.get_json(
                    self.scheduler.learner_path(learner_id, f"/reviews/{review_id}")
                )
                if review.get("card_id") is not None:
                    card = await self.scheduler.get_json(
                        self.scheduler.learner_path(learner_id, f"/cards/{review['card_id']}")
                    )
                    question = str(card["payload"].get("question") or "")
            self.failed_questions[key] = question
        return self.failed_questions[key] or None

    async def stored_cards(self, learner_id: str, item: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The oldest generated card of each kind not yet used by a review, for one study item."""
        page = await self.scheduler.get_json(
            self.scheduler.learner_path(learner_id, "/cards"),
            params={"item_type": item["item_type"], "item_id": item["item_id"], "unreviewed": "true"},
        )
        oldest: dict[str, dict[str, Any]] = {}
        for card in page["data"]:  # ordered by id
            oldest.setdefault(str(card["kind"]), card)
        return oldest

    def ensure(self, learner_id: str, item: dict[str, Any], kind: str) -> asyncio.Task[dict[str, Any]]:
        """The generation task for this card: the one in flight, or a new one."""
        key = card_key(learner_id, item, kind)
        task = self.inflight.get(key)
        if task is not None and not task.done():
            return task
        generation_id = uuid.uuid4().hex
        task = asyncio.create_task(self._generate(learner_id, item, kind, generation_id))
        self.inflight[key] = task
        self.generation_ids[key] = generation_id
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: CardKey, task: asyncio.Task[dict[str, Any]]) -> None:
        if self.inflight.get(key) is task:
            del self.inflight[key]
            self.generation_ids.pop(key, None)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, ServiceError):
            log.info("generation of %s failed: %s %s", key, error.error_type, error.message)
        elif error is not None:
            log.error("generation of %s crashed", key, exc_info=error)

    async def progress(self, learner_id: str, item: dict[str, Any], kinds: list[str]) -> list[CardProgress]:
        """How far the generator is with each of these cards of the item (those it can say)."""
        found = []
        for kind in kinds:
            generation_id = self.generation_ids.get(card_key(learner_id, item, kind))
            if generation_id is not None:
                progress = await read_progress(self.generator, generation_id, kind)
                if progress is not None:
                    found.append(progress)
        return found

    async def _generate(
        self, learner_id: str, item: dict[str, Any], kind: str, generation_id: str
    ) -> dict[str, Any]:
        # Another gateway process, or a task that just finished, may have stored it already.
        existing = (await self.stored_cards(learner_id, item)).get(kind)
        if existing is not None:
            return existing
        topic = item["topic"]
        topic_id = topic["id"]
        page = await self.scheduler.get_json(
            self.scheduler.learner_path(learner_id, f"/topics/{topic_id}/contexts")
        )
        contexts: list[dict[str, Any]] = page["data"]
        if not contexts:
            raise InvalidInput(
                f"El tema «{topic['title']}» no tiene contexto: "
                "añade un extracto de la guía para generar tarjetas.",
                error_type="topic_without_context",
                detail={"topic_id": topic_id},
            )
        level = DRILL_LEVEL.get(kind, int(item.get("state", {}).get("level") or 1))
        angle = item.get("angle")
        task = "battlecard" if kind == "battlecard" else "variant" if angle else "drill"
        request: dict[str, Any] = {
            "task": task,
            "topic": topic["title"],
            "contexts": [
                {"id": c["id"], "label": (c.get("source_label") or "")[:200] or None, "text": c["text"]}
                for c in contexts
            ],
            "level": level,
            "policy": self.settings.generation_policy,
        }
        if angle:
            failed_question = await self.failed_question(learner_id, angle)
            request["angle"] = {"perspective": angle["perspective"], "failed_question": failed_question}
        if self.settings.generation_max_tokens is not None:
            request["max_tokens"] = self.settings.generation_max_tokens
        try:
            generated = await self.generator.post_json(
                "/v1/cards", request, headers={"X-Generation-Id": generation_id}
            )
        except ServiceError as exc:
            if is_generator_down(exc):
                self.generator_available = False
            raise
        self.generator_available = True
        used_ids = [c.get("id") for c in generated.get("contexts_used") or []]
        stored: dict[str, Any] = await self.scheduler.post_json(
            self.scheduler.learner_path(learner_id, "/cards"),
            {
                "topic_id": topic_id,
                "angle_id": angle["id"] if angle else None,
                "kind": kind,
                "level": level,
                "payload": generated["card"],
                "markdown": generated["markdown"],
                "context_ids": [i for i in used_ids if i is not None] or [c["id"] for c in contexts],
                "model_id": generated.get("model_id") or "unknown",
                "grounding_report": generated.get("grounding_report") or {},
            },
        )
        return stored

    async def fill(self, learner_id: str, clock_headers: dict[str, str]) -> None:
        """Starts generation for every missing card of the learner's next K items."""
        if self.settings.prefetch_depth == 0:
            return
        try:
            page = await self.scheduler.get_json(
                self.scheduler.learner_path(learner_id, "/next"),
                params={"limit": self.settings.prefetch_depth},
                headers=clock_headers,
            )
            for item in page["data"]:
                kinds = [k for k in item["card_kinds"] if card_key(learner_id, item, k) not in self.inflight]
                if not kinds:
                    continue
                stored = await self.stored_cards(learner_id, item)
                for kind in kinds:
                    if kind not in stored:
                        self.ensure(learner_id, item, kind)
        except ServiceError as exc:
            log.warning("prefetch for learner %s stopped: %s", learner_id, exc.message)

    def request_fill(self, learner_id: str, clock_headers: dict[str, str], *, force: bool = False) -> None:
        """Schedules `fill` in the background unless one is already running for this learner.

        `force` (a review that opened an angle) runs it anyway: the running one may have
        read the study items before the angle existed.
        """
        running = self._filling.get(learner_id)
        if running is not None and not running.done() and not force:
            return
        task = asyncio.create_task(self.fill(learner_id, clock_headers))
        self._filling[learner_id] = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Cancels what is still running (shutdown)."""
        pending = [*self.inflight.values(), *self._background]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
