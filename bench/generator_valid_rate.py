"""How often the demo model gives a parsable card in one attempt, per kind.

Starts a real llama-server (demo GGUF, 2 slots of 4,096 tokens, as the e2e test) and the
real generator, then asks for N cards of each kind about one gold topic (the first of
training/data/gold/neumologia.jsonl, the topic the e2e study loop uses) with
`max_attempts 1`, `policy flag` and consecutive seeds. A 200 is a parsable card (valid
or flagged by the gate); a 422 `invalid_output` is an answer with no card in it (cut at
max_tokens, or incoherent: a citation past the sources). Prints one line per request
(with its source issues: `source_not_in_context`, `source_index_out_of_range`, and the
response's `generation.sources_mode` where the generator reports one) and the share and
source issues per kind. No target for the share: it says how often a caller must retry.

    .venv/bin/python bench/generator_valid_rate.py [--n 10] [--max-tokens 1536] [--seed 1000] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.scaleout.gold import gold_topics  # noqa: E402
from tests.support.llama import LlamaServer  # noqa: E402
from tests.support.process import ServiceProcess  # noqa: E402

KINDS = {"battlecard": ("battlecard", 1), "drill_mcq": ("drill", 1), "drill_open": ("drill", 2)}
SOURCE_CODES = ("source_not_in_context", "source_index_out_of_range")


def gold_topic() -> tuple[str, str]:
    first = gold_topics("neumología")[0]
    return first.title, first.context


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10, help="cards per kind")
    parser.add_argument("--max-tokens", type=int, default=1536)
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first request of each kind")
    parser.add_argument("--threads", type=int, default=2, help="llama-server --threads")
    args = parser.parse_args()

    title, context = gold_topic()
    with LlamaServer(ctx_size=8192, parallel=2, threads=args.threads) as llama:
        generator = ServiceProcess(
            "aimed_generator.main:create_app",
            {"AIMED_GENERATOR_LLM_BASE_URL": llama.url, "AIMED_GENERATOR_REQUEST_TIMEOUT_S": "900"},
        ).start()
        try:
            summary = []
            for kind, (task, level) in KINDS.items():
                parsed, seconds, tokens = 0, [], []
                source_issues = dict.fromkeys(SOURCE_CODES, 0)
                for i in range(args.n):
                    seed = args.seed + i
                    body = {
                        "task": task,
                        "topic": title,
                        "contexts": [{"text": context, "label": "Guía"}],
                        "level": level,
                        "seed": seed,
                        "max_tokens": args.max_tokens,
                        "policy": "flag",
                        "max_attempts": 1,
                    }
                    start = time.perf_counter()
                    response = httpx.post(f"{generator.url}/v1/cards", json=body, timeout=1000)
                    seconds.append(time.perf_counter() - start)
                    answer = response.json()
                    if response.status_code == 200:
                        parsed += 1
                        attempt = answer["attempt_reports"][0]
                        mode = (answer.get("generation") or {}).get("sources_mode", "-")
                        outcome = f"card ({len(answer['grounding_report']['issues'])} gate issues)"
                    else:
                        detail = answer["error"]["detail"]
                        attempt = detail["attempts"][0]
                        mode = (detail.get("generation") or {}).get("sources_mode", "-")
                        outcome = f"{answer['error']['type']}: {attempt['issues'][0]['message'][:70]}"
                    counts = [sum(i["code"] == code for i in attempt["issues"]) for code in SOURCE_CODES]
                    for code, count in zip(SOURCE_CODES, counts, strict=True):
                        source_issues[code] += count
                    tokens.append(attempt["completion_tokens"])
                    print(
                        f"{kind:10s} seed={seed} {response.status_code} {attempt['finish_reason']:6s} "
                        f"{attempt['completion_tokens']:5d} tokens {seconds[-1]:6.1f} s  "
                        f"sources={mode} not_in_context={counts[0]} out_of_range={counts[1]}  {outcome}",
                        flush=True,
                    )
                summary.append(
                    f"{kind:10s} parsable {parsed}/{args.n}  median tokens {statistics.median(tokens):.0f}  "
                    f"median {statistics.median(seconds):.1f} s  "
                    f"source_not_in_context {source_issues[SOURCE_CODES[0]]}  "
                    f"source_index_out_of_range {source_issues[SOURCE_CODES[1]]}"
                )
            print(f"topic={title!r} max_tokens={args.max_tokens} max_attempts=1 policy=flag")
            print("\n".join(summary))
        finally:
            generator.stop()


if __name__ == "__main__":
    main()
