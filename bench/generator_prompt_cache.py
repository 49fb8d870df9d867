"""Prompt reuse across the cards of one topic, and the wall time to a topic's first two cards.

Starts a real llama-server (demo GGUF, 2 slots of 4,096 tokens, as the e2e test) and
measures, from llama-server's own `timings`:

- reuse: for each of `--topics` gold topics (training/data/gold), the first four
  requests of the topic, one after the other, each built exactly as the generator
  builds it (`build_messages`, `structured_output_schema`, the llama-server backend's
  request body): BattleCard, level-1 drill, level-2 drill, level-1 variant with an
  angle and a failed question. Per card: prompt tokens evaluated (`prompt_n`), taken
  from the cache (`cache_n`) and the evaluated share `prompt_n / (prompt_n + cache_n)`.
  The topics follow each other on the same server, as a learner's topics do.
- first two cards: on a fresh server and a real generator process, a topic's BattleCard
  and level-1 drill requested at the same time (as the gateway's prefetch does) and then,
  for another topic, one after the other; the wall time until both answered
  (`max_attempts 1`, `policy flag`, fixed seeds).

It imports the code it measures, so the same script measures another checkout: run it
with that checkout's packages first on `PYTHONPATH` (docs/benchmarks.md shows how).

    .venv/bin/python bench/generator_prompt_cache.py [--topics 3] [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from aimed_cardgen import CardGeneratorConfig, ModelServerConfig, output_schema
from aimed_cardgen.model_server import CompletionRequest, LlamaServerBackend
from aimed_contracts.prompts import GenerationTask, build_messages

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.scaleout.gold import gold_topics  # noqa: E402
from tests.support.llama import LlamaServer  # noqa: E402
from tests.support.process import ServiceProcess  # noqa: E402

FAILED_QUESTION = "¿Cuál es la primera medida ante este paciente?"
CARDS = [
    ("battlecard", {"task": "battlecard", "level": 1}),
    ("drill L1", {"task": "drill", "level": 1}),
    ("drill L2", {"task": "drill", "level": 2}),
    (
        "variant L1",
        {
            "task": "variant",
            "level": 1,
            "angle": {"perspective": "tratamiento", "failed_question": FAILED_QUESTION},
        },
    ),
]


def request_body(
    backend: LlamaServerBackend, task: GenerationTask, seed: int, max_tokens: int
) -> dict[str, Any]:
    """The chat request the generator sends for `task`, whichever checkout is imported."""
    return backend._completion_body(
        "demo",
        CompletionRequest(
            build_messages(task),
            schema=output_schema.structured_output_schema(task),
            schema_name=f"aimed_{task.card_kind}",
            seed=seed,
            max_tokens=max_tokens,
            temperature=CardGeneratorConfig().temperature,
        ),
    )


def reuse(topics: int, max_tokens: int) -> None:
    # Only its request body is used: nothing is sent through this client.
    backend = LlamaServerBackend(httpx.AsyncClient(), ModelServerConfig())
    shares: dict[str, list[float]] = {name: [] for name, _ in CARDS}
    with LlamaServer(ctx_size=8192, parallel=2) as llama, httpx.Client(timeout=900) as http:
        for gold in gold_topics()[:topics]:
            for position, (name, fields) in enumerate(CARDS, start=1):
                task = GenerationTask.model_validate(
                    {"topic": gold.title, "contexts": [{"text": gold.context, "label": "Guía"}], **fields}
                )
                start = time.perf_counter()
                answer = http.post(
                    f"{llama.url}/v1/chat/completions",
                    json=request_body(backend, task, seed=100 + position, max_tokens=max_tokens),
                ).json()
                wall = time.perf_counter() - start
                timings = answer["timings"]
                evaluated, cached = int(timings["prompt_n"]), int(timings.get("cache_n", 0))
                share = evaluated / (evaluated + cached)
                shares[name].append(share)
                print(
                    f"{gold.title[:36]:36s} card {position} {name:10s} prompt {evaluated + cached:5d}: "
                    f"evaluated {evaluated:5d} cached {cached:5d} ({share:6.1%})  "
                    f"prompt {timings['prompt_ms']:7.0f} ms  total {wall:5.1f} s",
                    flush=True,
                )
    print(f"{topics} topics, one after the other on one server (2 slots); evaluated share per card:")
    for position, (name, _) in enumerate(CARDS, start=1):
        values = shares[name]
        print(f"card {position} {name:10s} median {statistics.median(values):6.1%}  max {max(values):6.1%}")


def _post(url: str, body: dict[str, Any], start: float) -> tuple[int, float]:
    """Status of one card request and the seconds from `start` to its answer."""
    response = httpx.post(f"{url}/v1/cards", json=body, timeout=900)
    return response.status_code, time.perf_counter() - start


def first_two_cards(max_tokens: int, topics: list[Any]) -> None:
    modes = ["together", "one after the other"] * (len(topics) // 2)
    with LlamaServer(ctx_size=8192, parallel=2) as llama:
        service = ServiceProcess(
            "aimed_generator.main:create_app",
            {"AIMED_GENERATOR_LLM_BASE_URL": llama.url, "AIMED_GENERATOR_REQUEST_TIMEOUT_S": "900"},
        ).start()
        try:
            for gold, mode in zip(topics, modes, strict=True):
                bodies = [
                    {
                        "topic": gold.title,
                        "contexts": [{"text": gold.context, "label": "Guía"}],
                        "seed": 7,
                        "max_tokens": max_tokens,
                        "max_attempts": 1,
                        "policy": "flag",
                        **fields,
                    }
                    for _, fields in CARDS[:2]
                ]
                start = time.perf_counter()
                if mode == "together":
                    with concurrent.futures.ThreadPoolExecutor(2) as pool:
                        futures = [pool.submit(_post, service.url, body, start) for body in bodies]
                        results = [future.result() for future in futures]
                else:
                    results = [_post(service.url, body, start) for body in bodies]
                done = time.perf_counter() - start
                print(
                    f"first two cards ({mode}) of {gold.title!r}: {done:5.1f} s "
                    f"(battlecard {results[0][0]} at {results[0][1]:.1f} s, drill {results[1][0]} "
                    f"at {results[1][1]:.1f} s; max_tokens {max_tokens})",
                    flush=True,
                )
        finally:
            service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=3)
    parser.add_argument(
        "--max-tokens", type=int, default=8, help="per card for the reuse part: only the prompt is measured"
    )
    parser.add_argument("--card-max-tokens", type=int, default=768, help="per card, for the first two cards")
    parser.add_argument("--pairs", type=int, default=2, help="topics per mode for the first two cards")
    parser.add_argument("--part", choices=["all", "reuse", "first-two"], default="all")
    args = parser.parse_args()
    print(f"measuring {output_schema.__file__}")
    if args.part in ("all", "reuse"):
        reuse(args.topics, args.max_tokens)
    if args.part in ("all", "first-two"):
        first_two_cards(args.card_max_tokens, gold_topics()[args.topics : args.topics + 2 * args.pairs])


if __name__ == "__main__":
    main()
