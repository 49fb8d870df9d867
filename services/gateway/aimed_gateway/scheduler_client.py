"""The typed client of the scheduler's internal API (docs/internal-api.md): one method per operation.

This is the only module that knows the scheduler's paths. Answers are parsed into the wire
models of aimed_contracts.scheduler_api, the shapes the scheduler's routes declare. Guideline
imports and backups come back as the scheduler's JSON object, passed on as it is: the public
schemas (aimed_gateway.schemas) type them on the way out.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.concurrency import run_in_threadpool

from aimed_contracts.scheduler_api import (
    AnglesPublic,
    CardCreate,
    CardPublic,
    CardsPublic,
    ContextPublic,
    ContextsPublic,
    ImportResult,
    ItemType,
    LearnerPublic,
    LearnerSettingsPublic,
    ReviewCreate,
    ReviewOutcomePublic,
    ReviewRecord,
    StatsPublic,
    StudyItem,
    StudyItems,
    TemarioReport,
    TopicPublic,
    TopicsPublic,
    UndoPublic,
)
from aimed_gateway.upstream import ServiceClient

JsonObject = dict[str, Any]
Headers = dict[str, str]


class SchedulerClient(ServiceClient):
    """The scheduler, one learner's resources per call (`learner_id` as the token resolved it)."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float,
        internal_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__("scheduler", base_url, timeout_s, internal_token, transport)

    @staticmethod
    def _learner(learner_id: str | int, suffix: str = "") -> str:
        return f"/v1/learners/{learner_id}{suffix}"

    # --- learners --------------------------------------------------------------------

    async def create_learner(self, name: str, timezone: str | None = None) -> LearnerPublic:
        body = {"name": name, **({"timezone": timezone} if timezone else {})}
        return LearnerPublic.model_validate(await self.post_json("/v1/learners", body))

    async def read_learner(self, learner_id: str) -> LearnerPublic:
        return LearnerPublic.model_validate(await self.get_json(self._learner(learner_id)))

    async def read_settings(self, learner_id: str) -> LearnerSettingsPublic:
        return LearnerSettingsPublic.model_validate(
            await self.get_json(self._learner(learner_id, "/settings"))
        )

    async def update_settings(self, learner_id: str, changes: JsonObject) -> LearnerSettingsPublic:
        """`changes`: any subset of the settings; the scheduler validates the merged result."""
        settings = await self.patch_json(self._learner(learner_id, "/settings"), changes)
        return LearnerSettingsPublic.model_validate(settings)

    async def stats(self, learner_id: str, days: int, clock: Headers) -> StatsPublic:
        stats = await self.get_json(self._learner(learner_id, "/stats"), params={"days": days}, headers=clock)
        return StatsPublic.model_validate(stats)

    # --- topics, contexts, angles ----------------------------------------------------

    async def list_topics(
        self,
        learner_id: str,
        *,
        modulo: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 1000,
        clock: Headers | None = None,
    ) -> TopicsPublic:
        page = await self.get_json(
            self._learner(learner_id, "/topics"),
            params={"modulo": modulo, "status": status, "offset": offset, "limit": limit},
            headers=clock,
        )
        return TopicsPublic.model_validate(page)

    async def create_topic(self, learner_id: str, topic: JsonObject) -> TopicPublic:
        return TopicPublic.model_validate(await self.post_json(self._learner(learner_id, "/topics"), topic))

    async def import_topics(self, learner_id: str, content: bytes, media_type: str) -> ImportResult:
        """A syllabus as sent (JSON list or CSV): the scheduler parses it and names bad rows."""
        response = await self.request(
            "POST",
            self._learner(learner_id, "/topics/import"),
            content=content,
            headers={"Content-Type": media_type},
        )
        return ImportResult.model_validate_json(response.content)

    async def read_topic(self, learner_id: str, topic_id: int, clock: Headers | None = None) -> TopicPublic:
        topic = await self.get_json(self._learner(learner_id, f"/topics/{topic_id}"), headers=clock)
        return TopicPublic.model_validate(topic)

    async def update_topic(self, learner_id: str, topic_id: int, changes: JsonObject) -> TopicPublic:
        topic = await self.patch_json(self._learner(learner_id, f"/topics/{topic_id}"), changes)
        return TopicPublic.model_validate(topic)

    async def delete_topic(self, learner_id: str, topic_id: int) -> None:
        await self.delete(self._learner(learner_id, f"/topics/{topic_id}"))

    async def list_contexts(self, learner_id: str, topic_id: int) -> ContextsPublic:
        page = await self.get_json(self._learner(learner_id, f"/topics/{topic_id}/contexts"))
        return ContextsPublic.model_validate(page)

    async def add_context(
        self, learner_id: str, topic_id: int, source_label: str, text: str
    ) -> ContextPublic:
        context = await self.post_json(
            self._learner(learner_id, f"/topics/{topic_id}/contexts"),
            {"source_label": source_label, "text": text},
        )
        return ContextPublic.model_validate(context)

    async def import_guideline_sections(self, learner_id: str, body: JsonObject) -> JsonObject:
        result: JsonObject = await self.post_json(self._learner(learner_id, "/guideline-sections"), body)
        return result

    async def import_temario(
        self, learner_id: str, file: Any, *, dry_run: bool, timeout_s: float
    ) -> TemarioReport:
        response = await self.request(
            "POST",
            self._learner(learner_id, "/import/temario"),
            params={"dry_run": "true" if dry_run else "false"},
            files={"file": ("temario.db", file, "application/octet-stream")},
            timeout_s=timeout_s,
        )
        return TemarioReport.model_validate_json(response.content)

    async def list_angles(
        self, learner_id: str, *, topic_id: int | None = None, status: str | None = None
    ) -> AnglesPublic:
        page = await self.get_json(
            self._learner(learner_id, "/angles"), params={"topic_id": topic_id, "status": status}
        )
        return AnglesPublic.model_validate(page)

    # --- the study loop ----------------------------------------------------------------

    async def next_items(self, learner_id: str, limit: int, clock: Headers) -> list[StudyItem]:
        page = await self.get_json(self._learner(learner_id, "/next"), params={"limit": limit}, headers=clock)
        return StudyItems.model_validate(page).data

    async def list_cards(
        self,
        learner_id: str,
        *,
        item_type: ItemType | None = None,
        item_id: int | None = None,
        unreviewed: bool = False,
        limit: int = 100,
        after_id: int | None = None,
    ) -> list[CardPublic]:
        """Oldest first; `unreviewed`: only cards no review has used yet."""
        page = await self.get_json(
            self._learner(learner_id, "/cards"),
            params={
                "item_type": item_type.value if item_type is not None else None,
                "item_id": item_id,
                "unreviewed": "true" if unreviewed else None,
                "limit": limit,
                "after_id": after_id,
            },
        )
        return CardsPublic.model_validate(page).data

    async def read_card(self, learner_id: str, card_id: int) -> CardPublic:
        return CardPublic.model_validate(await self.get_json(self._learner(learner_id, f"/cards/{card_id}")))

    async def store_card(self, learner_id: str, card: CardCreate) -> CardPublic:
        stored = await self.post_json(self._learner(learner_id, "/cards"), card.model_dump(mode="json"))
        return CardPublic.model_validate(stored)

    async def record_review(
        self, learner_id: str, review: ReviewCreate, clock: Headers
    ) -> ReviewOutcomePublic:
        outcome = await self.post_json(
            self._learner(learner_id, "/reviews"),
            review.model_dump(mode="json", exclude_none=True),
            headers=clock,
        )
        return ReviewOutcomePublic.model_validate(outcome)

    async def undo_review(self, learner_id: str, clock: Headers) -> UndoPublic:
        return UndoPublic.model_validate(
            await self.post_json(self._learner(learner_id, "/reviews/undo"), headers=clock)
        )

    async def read_review(self, learner_id: str, review_id: int) -> ReviewRecord:
        return ReviewRecord.model_validate(
            await self.get_json(self._learner(learner_id, f"/reviews/{review_id}"))
        )

    # --- backups -----------------------------------------------------------------------

    # A backup runs to ~100 MB of JSON: it is parsed and written in a worker thread, never on
    # the event loop.

    async def export_backup(self, learner_id: str) -> JsonObject:
        response = await self.request("GET", self._learner(learner_id, "/backup"))
        backup: JsonObject = await run_in_threadpool(response.json)
        return backup

    async def restore_backup(self, learner_id: str, data: Any) -> JsonObject:
        body = await run_in_threadpool(_json_bytes, data)
        response = await self.request(
            "POST",
            self._learner(learner_id, "/backup"),
            content=body,
            headers={"Content-Type": "application/json"},
        )
        result: JsonObject | None = None if not response.content else response.json()
        return result or {}


def _json_bytes(data: Any) -> bytes:
    """What httpx's `json=` sends."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
