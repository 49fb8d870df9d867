"""Time to card through nginx for GET /api/v1/study/next: prefetch warm vs on demand.

Starts the whole local stack (llama-server with the demo GGUF, generator, scheduler on
SQLite, gateway, nginx) on free ports in a temporary folder, then measures:

- warm: a learner whose next item already has its cards stored, which is what prefetch
  leaves behind (the cards are the gold cards of training/data/gold, stored through the
  scheduler's cards API exactly as the prefetcher stores generated ones); the same
  request repeated;
- on demand: a learner with one new topic and no card; the clock runs from the first
  GET /study/next until one answers `ready` (the client polls as the UI does). The demo
  model writes the BattleCard and the Drill in parallel (2 slots).

Usage: .venv/bin/python bench/gateway_time_to_card.py [--policy flag] [--on-demand 3] [--warm 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aimed_contracts.cards import parse_card  # noqa: E402
from aimed_contracts.markdown import render_markdown  # noqa: E402
from aimed_gateway.demo_syllabus import read_gold_rows, read_gold_topics  # noqa: E402
from aimed_gateway.tokens import TokenStore  # noqa: E402
from infra.stack import Stack, StackConfig  # noqa: E402

GOLD = REPO / "training/data/gold"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def new_learner(config: StackConfig, name: str) -> tuple[int, dict[str, str]]:
    learner = httpx.post(f"{config.scheduler_url}/v1/learners", json={"name": name}, timeout=10).json()
    token = TokenStore(config.token_db_path).issue(str(learner["id"]))
    return int(learner["id"]), {"Authorization": f"Bearer {token}"}


def add_topic(proxy: httpx.Client, headers: dict[str, str], topic: dict[str, Any]) -> tuple[int, int]:
    created = proxy.post(
        "/api/v1/topics",
        json={"title": topic["title"], "modulo": topic["modulo"], "priority": 1},
        headers=headers,
    )
    created.raise_for_status()
    context = proxy.post(
        f"/api/v1/topics/{created.json()['id']}/contexts",
        json={"source_label": "demo", "text": topic["context"]},
        headers=headers,
    )
    context.raise_for_status()
    return int(created.json()["id"]), int(context.json()["id"])


def store_gold_cards(
    config: StackConfig, learner_id: int, topic_id: int, context_id: int, title: str
) -> None:
    for row in read_gold_rows(GOLD):
        card = row["casos_generados"]
        if row["tema"] != title or card["kind"] not in ("battlecard", "drill_mcq"):
            continue
        httpx.post(
            f"{config.scheduler_url}/v1/learners/{learner_id}/cards",
            json={
                "topic_id": topic_id,
                "kind": card["kind"],
                "level": card["level"],
                "payload": card,
                "markdown": render_markdown(parse_card(card)),
                "context_ids": [context_id],
                "model_id": "gold",
                "grounding_report": {"valid": True, "issues": []},
            },
            timeout=10,
        ).raise_for_status()


def time_until_ready(proxy: httpx.Client, headers: dict[str, str], timeout_s: float) -> tuple[float, int]:
    started = time.perf_counter()
    calls = 0
    while time.perf_counter() - started < timeout_s:
        calls += 1
        body = proxy.get("/api/v1/study/next", headers=headers).json()
        if body["status"] == "ready":
            return time.perf_counter() - started, calls
        if body["status"] not in ("generating", "generation_failed"):
            raise RuntimeError(f"unexpected answer: {body}")
        time.sleep(min(float(body.get("retry_after_s") or 1.0), 1.0))
    raise TimeoutError(f"no card within {timeout_s:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--policy", default="flag", choices=("flag", "strict"))
    parser.add_argument("--on-demand", type=int, default=3, help="on-demand samples (2 cards each)")
    parser.add_argument("--warm", type=int, default=300, help="warm requests")
    parser.add_argument(
        "--sample-timeout", type=float, default=1200, help="seconds allowed per on-demand sample"
    )
    args = parser.parse_args()
    topics = read_gold_topics(GOLD)
    slow_model = {
        # A loaded laptop can run the demo model at a few tokens/s: let an attempt finish.
        "AIMED_GENERATOR_REQUEST_TIMEOUT_S": str(args.sample_timeout),
        "AIMED_GENERATOR_QUEUE_TIMEOUT_S": str(args.sample_timeout),
        "AIMED_GATEWAY_GENERATOR_TIMEOUT_S": str(args.sample_timeout + 30),
    }
    with tempfile.TemporaryDirectory(prefix="aimed-bench-") as folder:
        config = StackConfig.free_ports(
            Path(folder), generation_policy=args.policy, prefetch_depth=2, extra_env=slow_model
        )
        print(f"starting the stack in {folder} (policy={args.policy}) ...", flush=True)
        with (
            Stack(config),
            httpx.Client(base_url=config.proxy_url, timeout=args.sample_timeout + 60) as proxy,
        ):
            learner_id, headers = new_learner(config, "bench-warm")
            topic_id, context_id = add_topic(proxy, headers, topics[0])
            store_gold_cards(config, learner_id, topic_id, context_id, topics[0]["title"])
            for _ in range(20):
                assert proxy.get("/api/v1/study/next", headers=headers).json()["status"] == "ready"
            warm: list[float] = []
            for _ in range(args.warm):
                started = time.perf_counter()
                body = proxy.get("/api/v1/study/next", headers=headers).json()
                warm.append((time.perf_counter() - started) * 1000)
                assert body["status"] == "ready", body
            print(
                f"warm (cards stored), n={len(warm)}: p50 {percentile(warm, 50):.1f} ms, "
                f"p99 {percentile(warm, 99):.1f} ms, mean {statistics.mean(warm):.1f} ms",
                flush=True,
            )
            on_demand: list[float] = []
            for i in range(args.on_demand):
                _, headers = new_learner(config, f"bench-on-demand-{i}")
                add_topic(proxy, headers, topics[(i + 1) % len(topics)])
                try:
                    seconds, calls = time_until_ready(proxy, headers, args.sample_timeout)
                except TimeoutError as exc:
                    print(f"on demand #{i + 1}: {exc} (counted as missing, not as a time)", flush=True)
                    continue
                on_demand.append(seconds * 1000)
                print(f"on demand #{i + 1}: {seconds * 1000:.0f} ms ({calls} calls)", flush=True)
    warm_p50, warm_p99 = percentile(warm, 50), percentile(warm, 99)
    print()
    print(f"machine: {os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f}")
    print(f"time to card through nginx, GET /api/v1/study/next (demo model, policy={args.policy})")
    print(
        f"  warm (cards stored), n={len(warm)}: p50 {warm_p50:.1f} ms, p99 {warm_p99:.1f} ms, "
        f"mean {statistics.mean(warm):.1f} ms"
    )
    if on_demand:
        cold_p50, cold_p99 = percentile(on_demand, 50), percentile(on_demand, 99)
        print(
            f"  on demand (BattleCard + Drill), n={len(on_demand)}: "
            f"p50 {cold_p50:.0f} ms, p99 {cold_p99:.0f} ms"
        )
        print(f"  ratio on demand / warm: p50 {cold_p50 / warm_p50:.0f}x, p99 {cold_p99 / warm_p99:.0f}x")
    print(f"  target warm p50 < 50 ms: {'met' if warm_p50 < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
