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
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aimed_contracts.errors import InvalidInput, ServiceError
from aimed_contracts.scheduler_api import CardCreate, CardKind, CardPublic, ItemType, StudyItem, card_level
from aimed_gateway.config import Settings
from aimed_gateway.generation_progress import CardProgress, read_progress
from aimed_gateway.scheduler_client import Headers, SchedulerClient
from aimed_gateway.upstream import Generator

log = logging.getLogger("aimed.gateway.prefetch")

# Errors meaning "nothing can be generated now"; a timeout or a refused card is a
# failure of one generation, and `busy` only asks to wait.
GENERATOR_DOWN_TYPES = frozenset({"generator_unavailable", "model_unavailable"})
GENERATOR_BUSY_TYPE = "busy"
# Failed questions remembered (most recent kept); an older one is read back from the scheduler.
MAX_FAILED_QUESTIONS = 10_000

CardKey = tuple[str, str, str, str]  # learner id, item type, item id, card kind
StoredCards = dict[str, CardPublic]  # the oldest unreviewed card of each kind, by kind


def card_key(learner_id: str, item_type: ItemType | str, item_id: int, kind: CardKind | str) -> CardKey:
    return (learner_id, str(item_type), str(item_id), str(kind))


def item_card_key(learner_id: str, item: StudyItem, kind: CardKind | str) -> CardKey:
    return card_key(learner_id, item.item_type, item.item_id, kind)


def is_generator_down(error: BaseException) -> bool:
    return isinstance(error, ServiceError) and error.error_type in GENERATOR_DOWN_TYPES


def is_generator_busy(error: BaseException) -> bool:
    return isinstance(error, ServiceError) and error.error_type == GENERATOR_BUSY_TYPE


@dataclass
class _Window:
    """A learner's next study items as the last `/next` read gave them (K + 1), less those
    reviewed since, and what is known of their stored cards (None: not stored when looked)."""

    items: list[StudyItem]
    stored: dict[CardKey, CardPublic | None]


class Prefetcher:
    """Owns every generation in flight, per-learner fills and the failed questions; the rest of
    the gateway asks through its methods."""

    def __init__(self, scheduler: SchedulerClient, generator: Generator, settings: Settings) -> None:
        self.scheduler = scheduler
        self.generator = generator
        self.settings = settings
        self._generator_available: bool | None = None
        self._inflight: dict[CardKey, asyncio.Task[CardPublic]] = {}
        # The name each in-flight generation has at the generator, whose progress it reports.
        self._generation_ids: dict[CardKey, str] = {}
        self._background: set[asyncio.Task[Any]] = set()
        # At most one running fill per learner; a finished one leaves.
        self._filling: dict[str, asyncio.Task[None]] = {}
        # Per learner, the window the next fill works on (replaced by each `/next` read).
        self._windows: dict[str, _Window] = {}
        # The question a learner failed, by (learner id, angle id): the variant must not repeat it.
        self._failed_questions: OrderedDict[tuple[str, str], str] = OrderedDict()

    # --- what the rest of the gateway reads and tells ------------------------------------

    @property
    def generator_available(self) -> bool | None:
        """None until a generation (or a model check) said; then whether the generator answered."""
        return self._generator_available

    def note_generator(self, available: bool) -> None:
        self._generator_available = available

    @property
    def inflight(self) -> dict[CardKey, asyncio.Task[CardPublic]]:
        """A copy of the generations in flight, by card."""
        return dict(self._inflight)

    def is_generating(self, key: CardKey) -> bool:
        task = self._inflight.get(key)
        return task is not None and not task.done()

    @property
    def failed_questions(self) -> dict[tuple[str, str], str]:
        """A copy of the failed questions remembered, by (learner id, angle id)."""
        return dict(self._failed_questions)

    def remember_failed_question(self, learner_id: str, angle_id: int, question: str | None) -> None:
        """Recorded when the review that opened the angle is answered, before any generation starts."""
        self._remember((learner_id, str(angle_id)), question or "")

    def _remember(self, key: tuple[str, str], question: str) -> None:
        self._failed_questions[key] = question
        self._failed_questions.move_to_end(key)
        while len(self._failed_questions) > MAX_FAILED_QUESTIONS:
            self._failed_questions.popitem(last=False)

    async def failed_question(self, learner_id: str, item: StudyItem) -> str | None:
        """The question the learner failed when the item's angle was opened, so the variant avoids it.

        Remembered when the review is recorded; after a gateway restart (or on another
        replica) it is read back from the scheduler: the angle's origin review, its card.
        """
        angle = item.angle
        if angle is None:
            return None
        key = (learner_id, str(angle.id))
        if key not in self._failed_questions:
            question = ""
            if angle.origin_review_id is not None:
                review = await self.scheduler.read_review(learner_id, angle.origin_review_id)
                if review.card_id is not None:
                    card = await self.scheduler.read_card(learner_id, review.card_id)
                    question = str(card.payload.get("question") or "")
            self._remember(key, question)
        return self._failed_questions[key] or None

    # --- stored cards and generations ----------------------------------------------------

    async def stored_cards(self, learner_id: str, item: StudyItem) -> StoredCards:
        """The oldest generated card of each kind not yet used by a review, for one study item."""
        cards = await self.scheduler.list_cards(
            learner_id, item_type=item.item_type, item_id=item.item_id, unreviewed=True
        )
        oldest: StoredCards = {}
        for card in cards:  # ordered by id
            oldest.setdefault(str(card.kind), card)
        return oldest

    def ensure(
        self, learner_id: str, item: StudyItem, kind: CardKind | str, *, checked: bool = False
    ) -> asyncio.Task[CardPublic]:
        """The generation task for this card: the one in flight, or a new one.

        `checked`: the caller has just read the item's stored cards and this kind is not
        among them, so the new task does not read them again.
        """
        key = item_card_key(learner_id, item, kind)
        task = self._inflight.get(key)
        if task is not None and not task.done():
            return task
        generation_id = uuid.uuid4().hex
        task = asyncio.create_task(self._generate(learner_id, item, CardKind(kind), generation_id, checked))
        self._inflight[key] = task
        self._generation_ids[key] = generation_id
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: CardKey, task: asyncio.Task[CardPublic]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
            self._generation_ids.pop(key, None)
        if task.cancelled():
            return
        error = task.exception()
        window = self._windows.get(key[0])
        if error is None and window is not None:
            window.stored[key] = task.result()
        elif isinstance(error, ServiceError):
            log.info("generation of %s failed: %s %s", key, error.error_type, error.message)
        elif error is not None:
            log.error("generation of %s crashed", key, exc_info=error)

    async def progress(self, learner_id: str, item: StudyItem, kinds: list[str]) -> list[CardProgress]:
        """How far the generator is with each of these cards of the item (those it can say)."""
        found = []
        for kind in kinds:
            generation_id = self._generation_ids.get(item_card_key(learner_id, item, kind))
            if generation_id is not None:
                progress = await read_progress(self.generator, generation_id, kind)
                if progress is not None:
                    found.append(progress)
        return found

    async def _generate(
        self, learner_id: str, item: StudyItem, kind: CardKind, generation_id: str, checked: bool
    ) -> CardPublic:
        if not checked:
            # Another gateway process, or a task that just finished, may have stored it already.
            existing = (await self.stored_cards(learner_id, item)).get(kind.value)
            if existing is not None:
                return existing
        topic = item.topic
        contexts = (await self.scheduler.list_contexts(learner_id, topic.id)).data
        if not contexts:
            raise InvalidInput(
                f"El tema «{topic.title}» no tiene contexto: "
                "añade un extracto de la guía para generar tarjetas.",
                error_type="topic_without_context",
                detail={"topic_id": topic.id},
            )
        level = card_level(kind, item.state.level or 1)
        angle = item.angle
        task = "battlecard" if kind is CardKind.BATTLECARD else "variant" if angle else "drill"
        request: dict[str, Any] = {
            "task": task,
            "topic": topic.title,
            "contexts": [
                {"id": c.id, "label": (c.source_label or "")[:200] or None, "text": c.text} for c in contexts
            ],
            "level": level,
            "policy": self.settings.generation_policy,
        }
        if angle:
            failed_question = await self.failed_question(learner_id, item)
            request["angle"] = {"perspective": angle.perspective, "failed_question": failed_question}
        if self.settings.generation_max_tokens is not None:
            request["max_tokens"] = self.settings.generation_max_tokens
        try:
            generated = await self.generator.post_json(
                "/v1/cards", request, headers={"X-Generation-Id": generation_id}
            )
        except ServiceError as exc:
            if is_generator_down(exc):
                self._generator_available = False
            raise
        self._generator_available = True
        used_ids = [c.get("id") for c in generated.get("contexts_used") or []]
        return await self.scheduler.store_card(
            learner_id,
            CardCreate(
                topic_id=topic.id,
                angle_id=angle.id if angle else None,
                kind=kind,
                level=level,
                payload=generated["card"],
                markdown=generated["markdown"],
                context_ids=[i for i in used_ids if i is not None] or [c.id for c in contexts],
                model_id=generated.get("model_id") or "unknown",
                grounding_report=generated.get("grounding_report") or {},
            ),
        )

    # --- filling ahead -------------------------------------------------------------------

    @property
    def window_size(self) -> int:
        """How many next items one `/next` read asks for: the K to prefetch and one more, so that
        once the first is reviewed the window still holds K (the reviewed item leaves it)."""
        return self.settings.prefetch_depth + 1

    def _remember_window(
        self, learner_id: str, items: list[StudyItem], known: dict[CardKey, CardPublic | None] | None
    ) -> _Window:
        window = _Window(items=list(items), stored=dict(known or {}))
        self._windows[learner_id] = window
        return window

    async def fill(self, learner_id: str, clock_headers: Headers) -> None:
        """Reads the learner's next items and starts generation for every missing card of the first K."""
        if self.settings.prefetch_depth == 0:
            return
        try:
            items = await self.scheduler.next_items(learner_id, self.window_size, clock_headers)
        except ServiceError as exc:
            log.warning("prefetch for learner %s stopped: %s", learner_id, exc.message)
            return
        await self._fill(learner_id, self._remember_window(learner_id, items, None))

    async def _fill(self, learner_id: str, window: _Window) -> None:
        """Starts generation for every missing card of the window's first K items; the stored
        cards it reads are added to the window, so a later fill does not read them again."""
        if self.settings.prefetch_depth == 0:
            return
        try:
            for item in window.items[: self.settings.prefetch_depth]:
                kinds = [
                    k for k in item.card_kinds if not self.is_generating(item_card_key(learner_id, item, k))
                ]
                if not kinds:
                    continue
                keys = [item_card_key(learner_id, item, k) for k in kinds]
                if not all(key in window.stored for key in keys):
                    stored = await self.stored_cards(learner_id, item)
                    window.stored.update(
                        (key, stored.get(k.value)) for k, key in zip(kinds, keys, strict=True)
                    )
                for kind, key in zip(kinds, keys, strict=True):
                    if window.stored[key] is None:
                        self.ensure(learner_id, item, kind, checked=True)
        except ServiceError as exc:
            log.warning("prefetch for learner %s stopped: %s", learner_id, exc.message)

    def request_fill(
        self,
        learner_id: str,
        clock_headers: Headers,
        *,
        items: list[StudyItem] | None = None,
        known: dict[CardKey, CardPublic | None] | None = None,
        force: bool = False,
    ) -> None:
        """Fills in the background unless a fill is already running for this learner.

        `items`: the next items as the caller just read them (else `/next` is asked); they become
        the learner's window. `known`: stored cards the caller just read, by card (None: not
        stored), not read again. `force` (a review that opened an angle) runs it anyway: the
        running one may have read the study items before the angle existed.
        """
        window = None if items is None else self._remember_window(learner_id, items, known)
        running = self._filling.get(learner_id)
        if running is not None and not running.done() and not force:
            return
        fill = self.fill(learner_id, clock_headers) if window is None else self._fill(learner_id, window)
        task = asyncio.create_task(fill)
        self._filling[learner_id] = task
        self._background.add(task)
        task.add_done_callback(lambda done: self._fill_done(learner_id, done))

    def fill_after_review(
        self, learner_id: str, clock_headers: Headers, item_type: ItemType, item_id: int
    ) -> None:
        """After an ordinary review the fill starts at once: on the learner's window less the
        reviewed item (still K items, the last one new to the prefetch), without asking `/next`
        again; with no window yet (no `/next` read by this process), `/next` is asked."""
        window = self._windows.get(learner_id)
        if window is None:
            self.request_fill(learner_id, clock_headers)
            return
        left = [i for i in window.items if (i.item_type, i.item_id) != (item_type, item_id)]
        self.request_fill(learner_id, clock_headers, items=left, known=window.stored)

    def _fill_done(self, learner_id: str, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if self._filling.get(learner_id) is task:
            del self._filling[learner_id]

    async def drain(self) -> None:
        """Cancels what is still running (shutdown)."""
        pending = [*self._inflight.values(), *self._background]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
