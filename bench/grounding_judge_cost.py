"""The optional judge: its cost per claim with the demo model, and its accuracy on the corpus.

Default mode (part of `make bench`): starts a real llama-server on the demo GGUF (one slot
of 4,096 tokens, 2 threads) and judges every claim of the first `--cards` faithful cards of
the labeled corpus (bench/grounding_corpus) exactly as the generator does
(`aimed_cardgen.claim_judge`: Spanish prompt, context numbered sentence by sentence,
`response_format: json_schema` `{"verdict", "evidence"}`, temperature 0). Prints per claim
the wall time and llama-server's own timings (prompt evaluated, prompt reused from the
cache, generation), split into the first claim of a card (its context is evaluated, unless
the card before had the same context) and the following ones (served from the prompt cache),
and how many answers parsed. The demo
model's verdicts are printed but say nothing: a 135M model is no judge, so the judge's
accuracy is "not measured" here.

Corpus mode measures that accuracy with a capable model the user runs (LM Studio,
Ollama, llama-server, vLLM): every corpus card goes through the deterministic gate (with
its topic) and, where the gate passes it, through the judge, as in the generator. Prints
faithful cards accepted per kind and faults caught per fault type, gate alone and gate +
judge, and how often the judge was unavailable.

    .venv/bin/python bench/grounding_judge_cost.py [--cards 6]
    .venv/bin/python bench/grounding_judge_cost.py --corpus --judge-url http://127.0.0.1:1234 \
        [--judge-backend openai] [--judge-model NAME] [--timeout 60] [--limit N]
    make bench-judge JUDGE_URL=http://127.0.0.1:1234 [JUDGE_MODEL=NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aimed_cardgen import BackendKind, ModelServerConfig  # noqa: E402
from aimed_cardgen.claim_judge import ClaimJudge, verdict_request  # noqa: E402
from aimed_cardgen.model_server import make_backend  # noqa: E402
from aimed_contracts.grounding import check_card  # noqa: E402
from aimed_contracts.judge import (  # noqa: E402
    card_claims,
    judge_messages,
    judge_sentences,
    parse_verdict,
)
from tests.support.grounding_corpus import FAULT_TYPES, CorpusContext, load_corpus  # noqa: E402
from tests.support.llama import LlamaServer  # noqa: E402


def _stats(values: list[float]) -> str:
    if not values:
        return "n/a"
    # inclusive: the p95 stays within the values measured (few claims per run)
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) >= 2 else values[0]
    return f"mean {statistics.fmean(values):7.1f}  median {statistics.median(values):7.1f}  p95 {p95:7.1f}"


async def measure_cost(url: str, n_cards: int) -> None:
    corpus = load_corpus()
    cards = [(context, case) for context in corpus for case in context.faithful][:n_cards]
    server = ModelServerConfig(base_url=url, request_timeout_s=600)
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=600) as client:
        backend = make_backend(client, server)
        for context, case in cards:
            sentences = judge_sentences([context.context])
            for position, claim in enumerate(card_claims(case.card)):
                start = time.perf_counter()
                completion = await backend.complete(
                    verdict_request(judge_messages(context.topic, sentences, claim), len(sentences))
                )
                wall_ms = (time.perf_counter() - start) * 1000
                try:
                    verdict: str = parse_verdict(completion.text, len(sentences)).verdict
                except ValueError:
                    verdict = "unparsable"
                cached = completion.cached_tokens or 0
                done = completion
                print(
                    f"{case.id} {claim.field}: {wall_ms:.0f} ms wall, prompt {done.prompt_tokens} tokens "
                    f"({done.prompt_tokens - cached} evaluated, {done.prompt_ms or 0:.0f} ms), "
                    f"{done.completion_tokens} generated ({done.generation_ms:.0f} ms): {verdict}",
                    flush=True,
                )
                rows.append(
                    {
                        "first": position == 0,
                        "wall_ms": wall_ms,
                        "prompt_ms": completion.prompt_ms or 0.0,
                        "predicted_ms": completion.generation_ms,
                        "prompt_tokens": completion.prompt_tokens,
                        "evaluated": completion.prompt_tokens - cached,
                        "completion_tokens": completion.completion_tokens,
                        "verdict": verdict,
                    }
                )
    model = Path(os.environ.get("AIMED_DEMO_MODEL", "demo GGUF")).name
    print(f"demo model: {model}; llama-server 1 slot, 2 threads")
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print(f"{len(cards)} faithful corpus cards, {len(rows)} claims, one request per claim")
    for label, subset in (
        ("all claims", rows),
        ("first claim of a card", [r for r in rows if r["first"]]),
        ("later claims (prompt cache)", [r for r in rows if not r["first"]]),
    ):
        print(f"{label}: n={len(subset)}")
        print(f"  wall ms/claim       {_stats([r['wall_ms'] for r in subset])}")
        print(f"  llama prompt ms     {_stats([r['prompt_ms'] for r in subset])}")
        print(f"  llama generation ms {_stats([r['predicted_ms'] for r in subset])}")
        evaluated = statistics.fmean(r["evaluated"] for r in subset) if subset else 0
        prompt = statistics.fmean(r["prompt_tokens"] for r in subset) if subset else 0
        completion = statistics.fmean(r["completion_tokens"] for r in subset) if subset else 0
        print(f"  tokens/claim: prompt {prompt:.0f} (evaluated {evaluated:.0f}), completion {completion:.1f}")
    verdicts = Counter(r["verdict"] for r in rows)
    parsed = len(rows) - verdicts.get("unparsable", 0)
    print(f"answers parsed as verdicts: {parsed}/{len(rows)}")
    print(f"demo model's verdicts on faithful claims: {dict(sorted(verdicts.items()))}")
    print("judge accuracy with a capable model: not measured (see docs/cards.md, 'The judge')")


async def measure_corpus(args: argparse.Namespace) -> None:
    corpus: list[CorpusContext] = load_corpus()
    server = ModelServerConfig(
        base_url=args.judge_url,
        backend=BackendKind(args.judge_backend),
        model=args.judge_model,
        api_key=args.api_key,
        request_timeout_s=args.timeout,
    )
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else None
    faithful: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    faults: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    unavailable = judged = 0
    claim_ms: list[float] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=args.timeout, headers=headers) as client:
        judge = ClaimJudge(make_backend(client, server))
        cases = [(context, case) for context in corpus for case in context.cases][: args.limit]
        for n, (context, case) in enumerate(cases, start=1):
            gate = check_card(case.card, context.context, topic=context.topic)
            accepted = gate.valid
            if gate.valid:
                review = await judge.review(case.card, [context.context], context.topic)
                judged += 1
                accepted = not review.issues
                down = [i for i in review.issues if i.code == "judge_unavailable"]
                if down and judged == 1:
                    # The very first card: a wrong URL or model, not a slow answer. Say so.
                    sys.exit(f"the judge at {args.judge_url} cannot judge: {down[0].message}")
                unavailable += bool(down)
                if review.summary["checked"]:
                    claim_ms.append(review.summary["total_ms"] / review.summary["checked"])
            # (gate alone accepts, gate + judge accepts)
            outcome = (gate.valid, accepted)
            if case.label == "faithful":
                faithful[case.kind].append(outcome)
            else:
                faults[case.fault_type or "?"].append(outcome)
            if n % 10 == 0:
                print(f"  {n}/{len(cases)} cards, {time.perf_counter() - started:.0f} s", flush=True)
    print(f"judge: {args.judge_url} ({args.judge_backend}, model {args.judge_model or 'first listed'})")
    print(f"cards: {len(cases)}; sent to the judge (passed the gate): {judged}; unavailable: {unavailable}")
    if claim_ms:
        print(f"judge wall ms/claim: {_stats(claim_ms)}")
    print("faithful cards accepted      gate alone   gate + judge")
    for kind in sorted(faithful):
        rows = faithful[kind]
        gate_ok = sum(g for g, _ in rows)
        both_ok = sum(b for _, b in rows)
        print(f"  {kind:<26} {gate_ok:>3}/{len(rows):<3}      {both_ok:>3}/{len(rows):<3}")
    print("faults caught                gate alone   gate + judge")
    for fault_type in FAULT_TYPES:
        rows = faults.get(fault_type, [])
        if rows:
            gate_caught = sum(not g for g, _ in rows)
            both_caught = sum(not b for _, b in rows)
            print(f"  {fault_type:<26} {gate_caught:>3}/{len(rows):<3}      {both_caught:>3}/{len(rows):<3}")
    if unavailable:
        print("note: a card the judge could not check counts as refused (never passed unchecked)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=6, help="faithful corpus cards judged in cost mode")
    parser.add_argument(
        "--corpus", action="store_true", help="accuracy on the labeled corpus (needs --judge-url)"
    )
    parser.add_argument("--judge-url", help="OpenAI-compatible server of the judge (without /v1)")
    parser.add_argument("--judge-backend", choices=[k.value for k in BackendKind], default="openai")
    parser.add_argument("--judge-model", default=None, help="model name; default: the first the server lists")
    parser.add_argument("--api-key", default=os.environ.get("JUDGE_API_KEY") or None)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per claim")
    parser.add_argument("--limit", type=int, default=None, help="only the first N corpus cards")
    args = parser.parse_args()
    if args.corpus:
        if not args.judge_url:
            parser.error("--corpus needs --judge-url (e.g. http://127.0.0.1:1234 for LM Studio)")
        asyncio.run(measure_corpus(args))
        return
    with LlamaServer(ctx_size=4096, parallel=1) as llama:
        asyncio.run(measure_cost(llama.url, args.cards))


if __name__ == "__main__":
    main()
