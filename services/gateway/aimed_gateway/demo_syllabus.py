"""The demo syllabus: each topic of training/data/gold/*.jsonl once, with its context.

Loaded through the public API (the same calls the UI makes), only into a learner
that has no topics yet, with `date_assigned` spread over the coming days so the
calendar has something to show.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

TOPICS_PER_DAY = 3


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
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"gold row {index}: missing or bad field ({exc})") from exc
        seen.setdefault(title, entry)
    return sorted(seen.values(), key=lambda t: (t["priority"], t["modulo"]))


def load_demo_syllabus(base_url: str, token: str, folder: Path, today: date | None = None) -> int:
    """Imports the demo topics and their contexts; returns how many (0: the learner already had topics)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60.0) as client:
        existing = client.get("/api/v1/topics")
        existing.raise_for_status()
        if existing.json()["count"] > 0:
            return 0
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
        for topic in topics:
            response = client.post(
                f"/api/v1/topics/{by_title[topic['title']]}/contexts",
                json={"source_label": topic["source_label"], "text": topic["context"], "format": "text"},
            )
            if response.status_code >= 400:
                raise RuntimeError(
                    f"context of «{topic['title']}» failed: {response.status_code} {response.text}"
                )
    return len(topics)
