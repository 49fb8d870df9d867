"""Tokens/s of llama-server with the generation json_schema vs unconstrained, same prompts.

Starts a real llama-server (demo GGUF, 1 slot) and sends each prompt (the three card
kinds, built by `build_messages` from the worked example, several seeds) twice,
alternating: with `response_format: json_schema` (the schema the generator sends for
that request, `structured_output_schema`) and without, both with the generator's DRY
setting. Reads llama-server's own `timings.predicted_per_second` (generation only,
prompt excluded) and prints the median per mode and the ratio. The grammar adds
sampling work per token; this says how much.

    .venv/bin/python bench/generator_schema_speed.py [--seeds 4] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import httpx

from aimed_cardgen import ModelServerConfig
from aimed_cardgen.output_schema import structured_output_schema
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.prompts import GenerationTask, build_messages

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.llama import LlamaServer  # noqa: E402

TASKS = [("battlecard", 1), ("drill", 1), ("drill", 2)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    defaults = ModelServerConfig()
    rates: dict[str, list[float]] = {"json_schema": [], "unconstrained": []}
    tokens: dict[str, list[int]] = {"json_schema": [], "unconstrained": []}
    with LlamaServer(ctx_size=4096, parallel=1) as llama, httpx.Client(timeout=600) as http:
        for task, level in TASKS:
            generation_task = GenerationTask.model_validate(
                {
                    "task": task,
                    "level": level,
                    "topic": EXAMPLE_TOPIC,
                    "contexts": [{"text": EXAMPLE_CONTEXT}],
                }
            )
            kind = generation_task.card_kind
            messages = build_messages(generation_task)
            schema = structured_output_schema(generation_task)
            for seed in range(args.seeds):
                modes = (
                    ["json_schema", "unconstrained"] if seed % 2 == 0 else ["unconstrained", "json_schema"]
                )
                for mode in modes:
                    body = {
                        "messages": messages,
                        "max_tokens": args.max_tokens,
                        "temperature": 0.6,
                        "seed": seed,
                        # The generator's sampling in both modes: only the grammar differs.
                        "dry_multiplier": defaults.dry_multiplier,
                        "dry_allowed_length": defaults.dry_allowed_length,
                    }
                    if mode == "json_schema":
                        body["response_format"] = {
                            "type": "json_schema",
                            "json_schema": {"name": kind, "schema": schema, "strict": True},
                        }
                    answer = http.post(f"{llama.url}/v1/chat/completions", json=body).json()
                    rates[mode].append(float(answer["timings"]["predicted_per_second"]))
                    tokens[mode].append(int(answer["timings"]["predicted_n"]))
                    print(
                        f"{kind:10s} seed={seed} {mode:13s} "
                        f"{answer['timings']['predicted_n']:4d} tokens "
                        f"{answer['timings']['predicted_per_second']:7.1f} tok/s"
                    )
    with_schema = statistics.median(rates["json_schema"])
    without = statistics.median(rates["unconstrained"])
    print(f"max_tokens={args.max_tokens}, {len(rates['json_schema'])} prompts per mode")
    for mode, rate in (("json_schema", with_schema), ("unconstrained", without)):
        print(f"median tokens/s {mode:14s} {rate:.1f}  (median {statistics.median(tokens[mode])} tokens)")
    print(f"json_schema / unconstrained    {with_schema / without:.3f}")


if __name__ == "__main__":
    main()
