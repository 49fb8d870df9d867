"""Generator overhead: the same card request through POST /v1/cards and straight to llama-server.

Starts a real llama-server (demo GGUF, 1 slot) and the real generator (uvicorn, one
process) in front of it. Each pair sends the same prompt (the one `build_messages`
makes), seed, temperature, max_tokens and json_schema once directly to
`/v1/chat/completions` and once through `POST /v1/cards` (policy flag, one attempt),
in alternating order, and times both from one keep-alive client. Prints per-pair
times, the completion tokens of each side (they must match: same seed, same output)
and the median ratio generator / direct. Target: median ratio <= 1.05.

    .venv/bin/python bench/generator_overhead.py [--pairs 20] [--max-tokens 160] [--kind battlecard]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from aimed_cardgen import ModelServerConfig
from aimed_cardgen.output_schema import structured_output_schema
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.prompts import GenerationTask, build_messages

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.llama import LlamaServer, free_port  # noqa: E402

TASKS = {"battlecard": ("battlecard", 1), "drill_mcq": ("drill", 1), "drill_open": ("drill", 2)}
TEMPERATURE = 0.6


def start_generator(llama_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "AIMED_GENERATOR_LLM_BASE_URL": llama_url,
        "AIMED_GENERATOR_TEMPERATURE": str(TEMPERATURE),
        "AIMED_GENERATOR_LOG_LEVEL": "WARNING",
        "AIMED_GENERATOR_REQUEST_TIMEOUT_S": "600",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "aimed_generator.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health", timeout=1).json()["status"] == "ok":
                return process, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the generator did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--kind", choices=list(TASKS), default="battlecard")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    task, level = TASKS[args.kind]
    generation_task = GenerationTask.model_validate(
        {"task": task, "level": level, "topic": EXAMPLE_TOPIC, "contexts": [{"text": EXAMPLE_CONTEXT}]}
    )
    kind = generation_task.card_kind
    request = {
        "task": task,
        "level": level,
        "topic": EXAMPLE_TOPIC,
        "contexts": [{"text": EXAMPLE_CONTEXT}],
        "seed": args.seed,
        "max_tokens": args.max_tokens,
        "policy": "flag",
        "max_attempts": 1,
    }
    defaults = ModelServerConfig()
    # Exactly what the generator sends: the per-request schema and its DRY settings.
    direct_body = {
        "messages": build_messages(generation_task),
        "dry_multiplier": defaults.dry_multiplier,
        "dry_allowed_length": defaults.dry_allowed_length,
        "max_tokens": args.max_tokens,
        "temperature": TEMPERATURE,
        "seed": args.seed,
        "stream": False,
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": f"aimed_{kind}",
                "schema": structured_output_schema(generation_task),
                "strict": True,
            },
        },
    }
    with LlamaServer(ctx_size=4096, parallel=1) as llama:
        generator, generator_url = start_generator(llama.url)
        try:
            with httpx.Client(timeout=600) as http:
                direct_body["model"] = http.get(f"{llama.url}/v1/models").json()["data"][0]["id"]

                def direct() -> tuple[float, int, float]:
                    start = time.perf_counter()
                    response = http.post(f"{llama.url}/v1/chat/completions", json=direct_body)
                    elapsed = time.perf_counter() - start
                    response.raise_for_status()
                    answer = response.json()
                    model_s = (answer["timings"]["prompt_ms"] + answer["timings"]["predicted_ms"]) / 1000
                    return elapsed, int(answer["usage"]["completion_tokens"]), model_s

                def through_generator() -> tuple[float, int, float, int]:
                    start = time.perf_counter()
                    response = http.post(f"{generator_url}/v1/cards", json=request)
                    elapsed = time.perf_counter() - start
                    body = response.json()
                    if response.status_code == 200:
                        attempt = body["attempt_reports"][0]
                    elif body["error"]["type"] in ("invalid_output", "ungrounded_output"):
                        attempt = body["error"]["detail"]["attempts"][0]
                    else:
                        raise RuntimeError(response.text)
                    return (
                        elapsed,
                        int(attempt["completion_tokens"]),
                        attempt["model_ms"] / 1000,
                        response.status_code,
                    )

                # Warm-up: the first call fills the prompt cache of the slot for both sides.
                direct()
                through_generator()
                ratios: list[float] = []
                extras: list[float] = []
                rows = []
                print(
                    "pair  direct_s  model_s  tokens  generator_s  model_s  tokens  status  ratio  extra_ms"
                )
                for pair in range(args.pairs):
                    if pair % 2 == 0:
                        t_direct, n_direct, m_direct = direct()
                        t_gen, n_gen, m_gen, status = through_generator()
                    else:
                        t_gen, n_gen, m_gen, status = through_generator()
                        t_direct, n_direct, m_direct = direct()
                    ratios.append(t_gen / t_direct)
                    # Time outside the model on each side: what the generator adds, free of the
                    # noise a shared CPU puts into the model's own time.
                    extra_ms = ((t_gen - m_gen) - (t_direct - m_direct)) * 1000
                    extras.append(extra_ms)
                    rows.append((pair, t_direct, n_direct, t_gen, n_gen, status))
                    print(
                        f"{pair:4d}  {t_direct:8.3f}  {m_direct:7.3f}  {n_direct:6d}  {t_gen:11.3f}  "
                        f"{m_gen:7.3f}  {n_gen:6d}  {status:6d}  {ratios[-1]:5.3f}  {extra_ms:8.1f}",
                        flush=True,
                    )
        finally:
            generator.terminate()
            generator.wait(timeout=10)

    print(
        f"kind={kind} max_tokens={args.max_tokens} seed={args.seed} "
        f"temperature={TEMPERATURE} pairs={args.pairs}"
    )
    print(f"median direct    {statistics.median(r[1] for r in rows):.3f} s")
    print(f"median generator {statistics.median(r[3] for r in rows):.3f} s")
    median_direct = statistics.median(r[1] for r in rows)
    median_extra = statistics.median(extras)
    print(f"median ratio     {statistics.median(ratios):.3f}  (target <= 1.05)")
    print(f"median extra     {median_extra:.1f} ms outside the model, generator minus direct")
    corrected = (median_direct + median_extra / 1000) / median_direct
    print(f"ratio from extra {corrected:.3f}  (1 + extra / median direct)")
    print(f"same completion tokens in every pair: {all(r[2] == r[4] for r in rows)}")


if __name__ == "__main__":
    main()
