"""Real topics, contexts and cards for the load: the hand-written gold dataset (training/data/gold).

Each gold topic has a guideline excerpt and one card of each kind, grounded in it. The
load stores them through the scheduler's cards API, exactly as the gateway stores a
generated card (payload, Markdown rendering, grounding report, the context it came from).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimed_contracts.cards import parse_card
from aimed_contracts.grounding import check_card
from aimed_contracts.markdown import render_markdown
from aimed_training.dataset import load_rows

GOLD_DIR = Path(__file__).resolve().parents[2] / "training" / "data" / "gold"
DRILL_LEVEL = {"drill_mcq": 1, "drill_open": 2}


@dataclass(frozen=True)
class GoldTopic:
    title: str
    modulo: str
    context: str
    cards: dict[str, dict[str, Any]]  # by kind: battlecard, drill_mcq, drill_open


def gold_topics(modulo: str | None = None) -> list[GoldTopic]:
    """Every gold topic (of one `modulo`, e.g. "neumología") with all three card kinds, in file order.

    The rows are read by the training job's reader (aimed_training.dataset.load_rows), the one
    way the repository reads gold JSONL.
    """
    topics: dict[str, GoldTopic] = {}
    for path in sorted(GOLD_DIR.glob("*.jsonl")):
        for row in load_rows(path):
            if modulo is not None and row["modulo"] != modulo:
                continue
            gold = topics.setdefault(
                row["tema"], GoldTopic(row["tema"], row["modulo"], row["contexto_mcp"], {})
            )
            card = row["casos_generados"]
            gold.cards[card["kind"]] = card
    return [gold for gold in topics.values() if set(gold.cards) == {"battlecard", "drill_mcq", "drill_open"}]


def card_body(
    gold: GoldTopic,
    kind: str,
    *,
    topic_id: int,
    context_id: int,
    angle_id: int | None,
    perspective: str | None,
) -> dict[str, Any]:
    """The body of POST /v1/learners/{id}/cards for one gold card (a variant when `perspective` is set)."""
    payload = dict(gold.cards[kind])
    if perspective is not None:
        payload["angle"] = perspective
    card = parse_card(payload)
    return {
        "topic_id": topic_id,
        "angle_id": angle_id,
        "kind": kind,
        "level": DRILL_LEVEL.get(kind, 1),
        "payload": card.model_dump(mode="json"),
        "markdown": render_markdown(card),
        "context_ids": [context_id],
        "model_id": "gold-dataset",
        "grounding_report": check_card(card, gold.context, topic=gold.title).model_dump(mode="json"),
    }
