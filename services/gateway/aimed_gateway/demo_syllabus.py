"""The demo syllabus: each topic of training/data/gold/*.jsonl once, with its context.

Loaded through the public API (the same calls the UI makes), only into a learner
that has no topics yet, with `date_assigned` spread over the coming days so the
calendar has something to show.

The topics assigned today also get their hand-written gold cards as *example cards*
(`origin: example`, each with the grounding gate's report): the first study steps show
what a good card looks like while the model writes its own for the next topics. Only
this loader stores example cards, straight into the scheduler (the public API has no
way to store a card), so a learner's own topics never get one.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from aimed_contracts.cards import parse_card
from aimed_contracts.grounding import check_card
from aimed_contracts.markdown import render_markdown
from aimed_servicekit.internal_token import INTERNAL_TOKEN_HEADER

TOPICS_PER_DAY = 3
# The `model_id` of an example card: a person wrote it, no model did.
EXAMPLE_AUTHOR = "hand-written"


def read_gold_rows(folder: Path) -> list[dict[str, Any]]:
    """Every row of folder/*.jsonl, in file order; a malformed line is an error naming it."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl files in {folder}")
    rows = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
    return rows


def read_gold_topics(folder: Path) -> list[dict[str, Any]]:
    """One entry per distinct `tema` (first row wins), ordered by priority, then module."""
    seen: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(read_gold_rows(folder), start=1):
        try:
            title = str(row["tema"]).strip()
            entry = {
                "title": title,
                "modulo": str(row["modulo"]).strip(),
                "priority": int(row.get("prioridad") or 3),
                "source_label": str(row.get("fuente") or "Demo")[:300],
                "context": str(row["contexto_mcp"]),
                "cards": {},
            }
            card = row.get("casos_generados")
            card = json.loads(card) if isinstance(card, str) else card
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"gold row {index}: missing or bad field ({exc})") from exc
        topic = seen.setdefault(title, entry)
        # One example per kind and topic (the first); rows of another context are not examples of this one.
        if isinstance(card, dict) and row["contexto_mcp"] == topic["context"]:
            topic["cards"].setdefault(str(card.get("kind")), card)
    return sorted(seen.values(), key=lambda t: (t["priority"], t["modulo"]))


def example_cards(topic: dict[str, Any]) -> list[dict[str, Any]]:
    """The topic's gold cards that pass the grounding gate, each with its report.

    A gold card the gate refuses is left out: an example must be what a good card is.
    """
    examples = []
    for kind in ("battlecard", "drill_mcq", "drill_open"):
        card = topic["cards"].get(kind)
        if card is None:
            continue
        report = check_card(card, topic["context"], topic=topic["title"])
        if not report.valid:
            continue
        examples.append(
            {
                "kind": kind,
                "level": int(card["level"]),
                "payload": card,
                "markdown": render_markdown(parse_card(card)),
                "grounding_report": report.model_dump(mode="json"),
            }
        )
    return examples


class SchedulerCards:
    """Stores example cards through the scheduler's internal API (its URL and secret: the gateway's)."""

    def __init__(self, scheduler_url: str, internal_token: str | None, timeout_s: float = 60.0) -> None:
        headers = {INTERNAL_TOKEN_HEADER: internal_token} if internal_token else {}
        self.client = httpx.Client(base_url=scheduler_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def store(self, learner_id: int, topic_id: int, context_id: int, example: dict[str, Any]) -> None:
        response = self.client.post(
            f"/v1/learners/{learner_id}/cards",
            json={
                **example,
                "topic_id": topic_id,
                "context_ids": [context_id],
                "model_id": EXAMPLE_AUTHOR,
                "origin": "example",
            },
        )
        if response.status_code >= 400:
            raise RuntimeError(f"example card failed: {response.status_code} {response.text}")

    def close(self) -> None:
        self.client.close()


def load_demo_syllabus(
    base_url: str,
    token: str,
    folder: Path,
    today: date | None = None,
    examples: SchedulerCards | None = None,
) -> tuple[int, int]:
    """Imports the demo topics and their contexts, and (with `examples`) the example cards of
    today's topics; returns (topics, example cards) stored (0, 0: the learner already had topics)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60.0) as client:
        existing = client.get("/api/v1/topics")
        existing.raise_for_status()
        if existing.json()["count"] > 0:
            return 0, 0
        learner_id = int(client.get("/api/v1/me").raise_for_status().json()["id"])
        topics = read_gold_topics(folder)
        start = today or date.today()
        rows = [
            {
                "title": t["title"],
                "modulo": t["modulo"],
                "priority": min(max(t["priority"], 1), 5),
                "date_assigned": (start + timedelta(days=i // TOPICS_PER_DAY)).isoformat(),
            }
            for i, t in enumerate(topics)
        ]
        imported = client.post("/api/v1/topics/import", json=rows)
        if imported.status_code >= 400:
            raise RuntimeError(f"topic import failed: {imported.status_code} {imported.text}")
        by_title = {t["title"]: t["id"] for t in imported.json()["data"]}
        stored_examples = 0
        for i, topic in enumerate(topics):
            topic_id = by_title[topic["title"]]
            response = client.post(
                f"/api/v1/topics/{topic_id}/contexts",
                json={"source_label": topic["source_label"], "text": topic["context"], "format": "text"},
            )
            if response.status_code >= 400:
                raise RuntimeError(
                    f"context of «{topic['title']}» failed: {response.status_code} {response.text}"
                )
            if examples is not None and i < TOPICS_PER_DAY:
                for example in example_cards(topic):
                    examples.store(learner_id, topic_id, int(response.json()["id"]), example)
                    stored_examples += 1
    return len(topics), stored_examples
