"""Scheduler latency through HTTP with 10,000 topics and 200,000 reviews, on SQLite and PostgreSQL.

Generates one learner's synthetic history with bulk inserts, starts the real service
(uvicorn, one process) on each database and times, from one sequential keep-alive client:
`GET /next?limit=1`, `GET /next?limit=5` (the gateway's prefetch) and `POST /reviews`.
Prints p50/p99 per database and the query plans of the two calendar queries.

    .venv/bin/python bench/scheduler_latency.py [--topics 10000] [--reviews 200000] [--only sqlite]

PostgreSQL: AIMED_TEST_PG_ADMIN (default postgresql://postgres@127.0.0.1:5432/postgres); a throwaway
database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, insert, select, text

from aimed_scheduler import calendar
from aimed_scheduler.db import make_engine, migrate
from aimed_scheduler.models import Angle, Learner, Review, SrsStateRow, Topic
from aimed_scheduler.repository import state_columns
from aimed_scheduler.srs import ItemKind, SrsSettings, SrsState
from aimed_scheduler.srs.scheduler import level_for

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.databases import postgres_database  # noqa: E402
from tests.support.process import ServiceProcess  # noqa: E402

MODULOS = [f"Módulo {i:02d}" for i in range(1, 21)]
GRADES = ["fail", "hard", "good", "easy"]
GRADE_WEIGHTS = [0.15, 0.15, 0.5, 0.2]


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="aimed-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with postgres_database() as url:
        yield url


def populate(
    engine: Engine, n_topics: int, n_reviews: int, now: datetime, rng: random.Random
) -> tuple[int, list[int]]:
    """Bulk-inserts the synthetic history; returns the learner id and the ids of reviewed topics."""
    settings = SrsSettings()
    with engine.begin() as conn:
        learner_id = conn.execute(
            insert(Learner)
            .values(
                name="bench",
                timezone="Europe/Madrid",
                daily_new_limit=20,
                srs_settings=settings.to_dict(),
                created_at=now - timedelta(days=400),
            )
            .returning(Learner.id)  # type: ignore[arg-type]
        ).scalar_one()
        today = now.date()
        conn.execute(
            insert(Topic),
            [
                {
                    "learner_id": learner_id,
                    "title": f"Tema {i:05d}",
                    "modulo": MODULOS[i % len(MODULOS)],
                    "priority": rng.randint(1, 5),
                    "date_assigned": today - timedelta(days=rng.randint(-30, 365)),
                    "status": "active",
                    "created_at": now - timedelta(days=400),
                }
                for i in range(n_topics)
            ],
        )
        topic_ids = list(
            conn.execute(select(Topic.id).where(Topic.learner_id == learner_id).order_by(Topic.id)).scalars()
        )
        reviewed = topic_ids[: int(len(topic_ids) * 0.8)]  # the rest are still new
        reviewed_set = set(reviewed)
        states = []
        for tid in topic_ids:
            if tid not in reviewed_set:
                state = SrsState.new_topic(2.5)
            else:
                ease = round(rng.uniform(1.3, 3.0), 2)
                interval = rng.randint(1, 60) * 1440
                due = now + timedelta(minutes=rng.randint(-20 * 1440, 60 * 1440))
                last = due - timedelta(minutes=interval)
                state = SrsState(
                    item_kind=ItemKind.TOPIC,
                    ease_factor=ease,
                    interval_minutes=interval,
                    repetitions=rng.randint(1, 12),
                    lapses=rng.randint(0, 4),
                    due_at=due,
                    level=level_for(ease, interval, settings),
                    first_reviewed_at=last - timedelta(days=90),
                    last_reviewed_at=last,
                )
            states.append(
                {
                    "learner_id": learner_id,
                    "item_type": "topic",
                    "topic_id": tid,
                    "angle_id": None,
                    "version": 1,
                    **state_columns(state),
                }
            )
        conn.execute(insert(SrsStateRow), states)

        angle_topics = rng.sample(reviewed, min(1000, len(reviewed)))
        conn.execute(
            insert(Angle),
            [
                {
                    "learner_id": learner_id,
                    "topic_id": tid,
                    "perspective": "complicaciones",
                    "label": "Sub-nodo B",
                    "status": "active",
                    "created_at": now - timedelta(days=5),
                }
                for tid in angle_topics
            ],
        )
        angle_rows = conn.execute(
            select(Angle.id, Angle.topic_id).where(Angle.learner_id == learner_id)
        ).all()
        conn.execute(
            insert(SrsStateRow),
            [
                {
                    "learner_id": learner_id,
                    "item_type": "angle",
                    "topic_id": tid,
                    "angle_id": aid,
                    "version": 1,
                    "ease_factor": 2.5,
                    "interval_minutes": 10,
                    "repetitions": 0,
                    "lapses": 1,
                    "due_at": now + timedelta(minutes=rng.randint(-3 * 1440, 3 * 1440)),
                    "level": 1,
                    "mastery_streak": 0,
                    "mastered_at": None,
                    "first_reviewed_at": now - timedelta(days=5),
                    "last_reviewed_at": now - timedelta(days=1),
                }
                for aid, tid in angle_rows
            ],
        )

        snapshot = SrsState.new_topic(2.5).to_dict()
        batch: list[dict[str, object]] = []
        for i in range(n_reviews):
            tid = rng.choice(reviewed)
            batch.append(
                {
                    "learner_id": learner_id,
                    "item_type": "topic",
                    "item_id": tid,
                    "topic_id": tid,
                    "card_id": None,
                    "grade": rng.choices(GRADES, GRADE_WEIGHTS)[0],
                    "idempotency_key": f"seed-{i}",
                    "previous_state": snapshot,
                    "new_state": snapshot,
                    "previous_version": 1,
                    "new_version": 1,
                    "reviewed_at": now - timedelta(minutes=rng.randint(60, 365 * 1440)),
                    "duration_ms": 20_000,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(Review), batch)
                batch = []
        if batch:
            conn.execute(insert(Review), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return int(learner_id), reviewed


def query_plans(engine: Engine, learner_id: int, now: datetime) -> list[str]:
    lines = []
    for name, query in (
        ("due", calendar.due_query(learner_id, now, 5)),
        ("new", calendar.new_query(learner_id, date(now.year, now.month, now.day), 5)),
    ):
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            rows = conn.execute(text(prefix + sql)).all()
        plan = [str(r[-1]) for r in rows]
        lines.append(f"  plan[{name}]: " + " | ".join(p.strip() for p in plan))
    return lines


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(url: str) -> Iterator[tuple[str, int]]:
    """The scheduler on `url` in its own process (no access log): its base URL and pid."""
    process = ServiceProcess("aimed_scheduler.main:create_app", {"AIMED_SCHEDULER_DATABASE_URL": url}).start()
    assert process.process is not None
    try:
        yield process.url, process.process.pid
    finally:
        process.stop()


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"n={len(ordered):4d}  p50={p50:6.2f} ms  p99={p99:6.2f} ms  max={ordered[-1]:6.2f} ms"


def measure(
    base: str,
    pid: int,
    learner_id: int,
    reviewed: list[int],
    n_next: int,
    n_reviews: int,
    rng: random.Random,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Returns latencies (ms) per operation and the scheduler process's CPU ms per request.

    CPU per request does not depend on how busy the machine is, unlike the latency.
    """
    timings: dict[str, list[float]] = {"next?limit=1": [], "next?limit=5": [], "record review": []}
    cpu: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        prefix = f"/v1/learners/{learner_id}"
        for _ in range(50):  # warm-up: connections, caches, first-query planning
            client.get(f"{prefix}/next", params={"limit": 1}).raise_for_status()
        for limit in (1, 5):
            cpu_start = cpu_ms(pid)
            for _ in range(n_next):
                start = time.perf_counter()
                response = client.get(f"{prefix}/next", params={"limit": limit})
                timings[f"next?limit={limit}"].append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
                assert response.json()["count"] == limit
            cpu[f"next?limit={limit}"] = (cpu_ms(pid) - cpu_start) / n_next
        cpu_start = cpu_ms(pid)
        for i, tid in enumerate(rng.sample(reviewed, n_reviews)):
            body = {
                "item_type": "topic",
                "item_id": tid,
                "grade": rng.choices(GRADES, GRADE_WEIGHTS)[0],
                "idempotency_key": f"bench-{i}",
                "expected_version": 1,
            }
            start = time.perf_counter()
            response = client.post(f"{prefix}/reviews", json=body)
            timings["record review"].append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
        cpu["record review"] = (cpu_ms(pid) - cpu_start) / n_reviews
    return timings, cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--next-requests", type=int, default=1000)
    parser.add_argument("--review-requests", type=int, default=500)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(
        f"scheduler latency: {args.topics} topics, {args.reviews} reviews, 1 learner, "
        f"{args.next_requests} next per limit, {args.review_requests} reviews; one sequential client"
    )
    for kind in ("sqlite", "postgresql"):
        if args.only and kind != args.only:
            continue
        rng = random.Random(1234)
        now = datetime.now(UTC)
        with database(kind) as url:
            engine = make_engine(url)
            migrate(engine)
            started = time.perf_counter()
            learner_id, reviewed = populate(engine, args.topics, args.reviews, now, rng)
            print(f"[{kind}] synthetic data inserted in {time.perf_counter() - started:.1f} s")
            for line in query_plans(engine, learner_id, now):
                print(f"[{kind}]{line}")
            engine.dispose()
            with server(url) as (base, pid):
                timings, cpu = measure(
                    base, pid, learner_id, reviewed, args.next_requests, args.review_requests, rng
                )
            for name, samples in timings.items():
                print(
                    f"[{kind}] {name:14s} {percentiles(samples)}  scheduler CPU {cpu[name]:5.2f} ms/request"
                )
            # The development box is shared: the load says how much of the latency is waiting for a core.
            print(f"[{kind}] load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
