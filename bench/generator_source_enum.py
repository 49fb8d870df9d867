"""What the `sources` enum costs llama-server: grammar build time and generation speed.

Starts a real llama-server (demo GGUF, 1 slot of 8,192 tokens) and measures, from its
own `timings`:

- grammar build: for contexts of 60 to 1,600 sentences (the gold contexts of
  training/data/gold, split by `aimed_contracts.sentences`, numbered copies beyond the
  ~500 they hold), a one-token request with a short cached prompt and the generation
  schema for a BattleCard in each mode. The wall time minus llama-server's
  `prompt_ms + predicted_ms` is the request overhead; its least of `--repeat` runs with
  the schema minus the least without any schema is what converting the schema and
  building the grammar costs (the least: on a shared CPU the other runs add waiting).
  Also the schema's size in JSON.
- generation speed: for a 60-sentence context, the three card kinds with the real prompt
  (`build_messages`), `--seeds` seeds each, alternating the schema with the enum and the
  same schema with today's bounded strings (`sources_mode` free); median
  `timings.predicted_per_second` per mode and their ratio.

    .venv/bin/python bench/generator_source_enum.py [--seeds 2] [--max-tokens 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from aimed_cardgen import ModelServerConfig
from aimed_cardgen.model_server import CompletionRequest, LlamaServerBackend
from aimed_cardgen.output_schema import SourceChoices, source_choices, structured_output_schema
from aimed_contracts.prompts import GenerationTask, build_messages
from aimed_contracts.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.scaleout.gold import gold_topics  # noqa: E402
from tests.support.llama import LlamaServer  # noqa: E402

SIZES = [60, 120, 240, 400, 800, 1600]
TASKS = [("battlecard", 1), ("drill", 1), ("drill", 2)]
FREE = SourceChoices("free", ())


def context_of(n: int) -> str:
    """A guideline-like context of exactly `n` sentences, one per line."""
    sentences = list(
        dict.fromkeys(s for g in gold_topics() for s in split_sentences(g.context) if len(s) >= 12)
    )
    lines = [
        sentences[i % len(sentences)] if i < len(sentences) else f"Nota {i}: {sentences[i % len(sentences)]}"
        for i in range(n)
    ]
    return "\n".join(lines)


def task_for(context: str, task: str = "battlecard", level: int = 1) -> GenerationTask:
    return GenerationTask.model_validate(
        {"task": task, "level": level, "topic": "Repaso de guías", "contexts": [{"text": context}]}
    )


def overhead_ms(http: httpx.Client, url: str, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    answer = http.post(f"{url}/v1/chat/completions", json=body).json()
    wall = (time.perf_counter() - start) * 1000
    timings = answer["timings"]
    return wall - float(timings["prompt_ms"]) - float(timings["predicted_ms"])


def grammar_build(http: httpx.Client, url: str, backend: LlamaServerBackend, repeat: int) -> None:
    messages = [{"role": "user", "content": "Responde con el JSON."}]

    def body(schema: dict[str, Any] | None) -> dict[str, Any]:
        return backend._completion_body(
            "demo",
            CompletionRequest(
                messages, schema=schema, schema_name="card", seed=1, max_tokens=1, temperature=0.6
            ),
        )

    overhead_ms(http, url, body(None))  # the prompt is cached from here on
    bare = min(overhead_ms(http, url, body(None)) for _ in range(repeat))
    print(f"request overhead without a schema: {bare:.1f} ms (least of {repeat})")
    for n in SIZES:
        task = task_for(context_of(n))
        choices = source_choices(task)
        enum_choices = SourceChoices("enum", choices.sentences)  # past the cap too, to see the trend
        for mode, chosen in (("enum", enum_choices), ("free", FREE)):
            schema = structured_output_schema(task, chosen)
            size = len(json.dumps(schema, ensure_ascii=False))
            cost = min(overhead_ms(http, url, body(schema)) for _ in range(repeat)) - bare
            print(
                f"{n:5d} sentences ({sum(map(len, choices.sentences)):6d} chars) {mode:4s} "
                f"schema {size:7d} chars  grammar build {cost:8.1f} ms  (generator's mode: {choices.mode})",
                flush=True,
            )


def speed(http: httpx.Client, url: str, backend: LlamaServerBackend, seeds: int, max_tokens: int) -> None:
    rates: dict[str, list[float]] = {"enum": [], "free": []}
    context = context_of(60)
    for task_name, level in TASKS:
        task = task_for(context, task_name, level)
        choices = source_choices(task)
        for seed in range(seeds):
            modes = [("enum", choices), ("free", FREE)]
            for mode, chosen in modes if seed % 2 == 0 else modes[::-1]:
                body = backend._completion_body(
                    "demo",
                    CompletionRequest(
                        build_messages(task),
                        schema=structured_output_schema(task, chosen),
                        schema_name=task.card_kind,
                        seed=seed,
                        max_tokens=max_tokens,
                        temperature=0.6,
                    ),
                )
                timings = http.post(f"{url}/v1/chat/completions", json=body).json()["timings"]
                rates[mode].append(float(timings["predicted_per_second"]))
                print(
                    f"{task.card_kind:10s} seed={seed} {mode:4s} {timings['predicted_n']:4d} tokens "
                    f"{timings['predicted_per_second']:6.1f} tok/s",
                    flush=True,
                )
    enum, free = statistics.median(rates["enum"]), statistics.median(rates["free"])
    print(f"60-sentence context, max_tokens={max_tokens}, {len(rates['enum'])} answers per mode")
    print(f"median tokens/s enum {enum:.1f}  free {free:.1f}  enum / free {enum / free:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--part", choices=["all", "grammar", "speed"], default="all")
    args = parser.parse_args()
    # Only its request body is used: nothing is sent through this client.
    backend = LlamaServerBackend(httpx.AsyncClient(), ModelServerConfig())
    with LlamaServer(ctx_size=8192, parallel=1) as llama, httpx.Client(timeout=1800) as http:
        if args.part in ("all", "grammar"):
            grammar_build(http, llama.url, backend, args.repeat)
        if args.part in ("all", "speed"):
            speed(http, llama.url, backend, args.seeds, args.max_tokens)


if __name__ == "__main__":
    main()
