"""`aimed-train eval`: serve a GGUF with llama-server and generate one card per held-out row.

Cards are generated through the generator's own code (aimed_generator): with
json_schema by `CardGenerator.generate` (one attempt, policy `flag`, so ungrounded
cards come back with their report instead of a refusal), and without json_schema by
the same steps it takes — `fit_prompt`, the backend's `complete`, `judge` — with no
schema. The same row gives the same task as in training (`dataset.task_for_row`).

Reported per mode: schema-valid rate, grounding pass rate, MCQ item-writing
violations, mean completion tokens/s and mean latency. `--min-grounded` gates
promotion on the grounding pass rate with json_schema (the way the service runs).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from aimed_contracts.errors import ServiceError
from aimed_generator.backends import make_backend
from aimed_generator.budget import fit_prompt
from aimed_generator.config import BackendKind, Policy, Settings
from aimed_generator.errors import InvalidOutput
from aimed_generator.generation import CardGenerator, judge
from aimed_generator.limiter import SlotLimiter
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.models import CardRequest, ContextIn
from aimed_training.dataset import load_rows, task_for_row
from aimed_training.loop import Progress
from aimed_training.progress import Steps, steps
from aimed_training.server import serve_gguf

MODES = ("json_schema", "no_schema")
MCQ_RULE_CODES = {"duplicate_options", "forbidden_option", "question_not_a_question"}


@dataclass
class CardOutcome:
    row: int
    topic: str
    kind: str
    mode: str
    schema_valid: bool
    grounded: bool
    mcq_violations: list[str]
    issue_codes: list[str]
    completion_tokens: int
    tokens_per_s: float
    latency_ms: float
    error: str | None = None
    # The answer as the gate saw it (the card the generator returned, or the raw completion
    # without json_schema): `aimed-train rescore` re-judges it when the gate changes.
    output: str | None = None


@dataclass
class ModeSummary:
    cards: int
    schema_valid_rate: float
    grounded_rate: float
    mcq_cards: int
    mcq_rule_violations: int
    mean_tokens_per_s: float
    mean_latency_ms: float
    issue_counts: dict[str, int] = field(default_factory=dict)


def card_request(row: dict[str, Any], seed: int, max_tokens: int | None) -> CardRequest:
    """The generator request for a gold row: the same task the row was trained on."""
    task = task_for_row(row)
    return CardRequest(
        task=task.task,
        topic=task.topic,
        contexts=[ContextIn(text=c.text, label=c.label) for c in task.contexts],
        level=task.level,
        angle=task.angle,
        seed=seed,
        max_tokens=max_tokens,
        policy=Policy.flag,
        max_attempts=1,
    )


def _codes(issues: list[dict[str, Any]]) -> list[str]:
    return [str(issue.get("code")) for issue in issues]


async def _with_schema(generator: CardGenerator, index: int, request: CardRequest) -> CardOutcome:
    kind = request.generation_task().card_kind
    started = time.perf_counter()
    try:
        response = await generator.generate(request)
    except InvalidOutput as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        issues = list(detail.get("issues", []))
        # A refused card still cost tokens (often all of max_tokens): count them. Its rate
        # is a lower bound: an attempt's model_ms includes the prompt, predicted time alone
        # is not reported for refused attempts.
        attempts = list(detail.get("attempts", []))
        tokens = sum(int(a.get("completion_tokens") or 0) for a in attempts)
        model_s = sum(float(a.get("model_ms") or 0.0) for a in attempts) / 1000
        rate = tokens / model_s if tokens and model_s else 0.0
        return CardOutcome(
            index, request.topic, kind, "json_schema", False, False, [], _codes(issues), tokens, rate,
            (time.perf_counter() - started) * 1000, exc.message,
        )  # fmt: skip
    codes = _codes(response.grounding_report.get("issues", []))
    return CardOutcome(
        row=index,
        topic=request.topic,
        kind=kind,
        mode="json_schema",
        schema_valid=True,
        grounded=bool(response.grounding_report.get("valid")),
        mcq_violations=sorted({c for c in codes if c in MCQ_RULE_CODES}),
        issue_codes=codes,
        completion_tokens=response.usage.completion_tokens,
        tokens_per_s=response.timings.tokens_per_s,
        latency_ms=response.timings.total_ms,
        output=json.dumps(response.card, ensure_ascii=False),
    )


async def _without_schema(generator: CardGenerator, index: int, request: CardRequest) -> CardOutcome:
    task = request.generation_task()
    started = time.perf_counter()
    info = await generator.backend.info()
    settings = generator.settings
    max_tokens = request.max_tokens or settings.max_tokens
    async with generator.limiter.slot():
        fitted = await fit_prompt(
            task, generator.backend, n_ctx_slot=info.n_ctx_slot, max_tokens=max_tokens,
            margin_tokens=settings.prompt_margin_tokens,
        )  # fmt: skip
        completion = await generator.backend.complete(
            fitted.messages,
            schema=None,
            schema_name=f"aimed_{task.card_kind}",
            seed=request.seed or 0,
            max_tokens=max_tokens,
            temperature=settings.temperature,
        )
    judgement = judge(completion.text, fitted.task, [c.text for c in fitted.task.contexts])
    codes = [issue.code for issue in judgement.issues]
    return CardOutcome(
        row=index,
        topic=request.topic,
        kind=task.card_kind,
        mode="no_schema",
        schema_valid=judgement.card is not None,
        grounded=judgement.valid,
        mcq_violations=sorted({c for c in codes if c in MCQ_RULE_CODES})
        if judgement.card is not None
        else [],
        issue_codes=codes,
        completion_tokens=completion.completion_tokens,
        tokens_per_s=completion.tokens_per_s,
        latency_ms=(time.perf_counter() - started) * 1000,
        output=completion.text,
    )


def summarize(outcomes: list[CardOutcome]) -> ModeSummary:
    n = len(outcomes)
    mcq = [o for o in outcomes if o.kind == "drill_mcq" and o.schema_valid]
    speeds = [o.tokens_per_s for o in outcomes if o.completion_tokens > 0]
    return ModeSummary(
        cards=n,
        schema_valid_rate=sum(o.schema_valid for o in outcomes) / n if n else 0.0,
        grounded_rate=sum(o.grounded for o in outcomes) / n if n else 0.0,
        mcq_cards=len(mcq),
        mcq_rule_violations=sum(len(o.mcq_violations) for o in mcq),
        mean_tokens_per_s=statistics.fmean(speeds) if speeds else 0.0,
        mean_latency_ms=statistics.fmean(o.latency_ms for o in outcomes) if outcomes else 0.0,
        issue_counts=dict(Counter(code for o in outcomes for code in o.issue_codes).most_common()),
    )


async def _evaluate_row(
    generator: CardGenerator, index: int, request: CardRequest, total: int, bar: Steps
) -> list[CardOutcome]:
    outcomes = []
    for run in (_with_schema, _without_schema):
        try:
            outcome = await run(generator, index, request)
        except ServiceError as exc:
            mode = "json_schema" if run is _with_schema else "no_schema"
            outcome = CardOutcome(
                index, request.topic, request.generation_task().card_kind, mode, False, False, [],
                [exc.error_type], 0, 0.0, 0.0, exc.message,
            )  # fmt: skip
        outcomes.append(outcome)
    parts = []
    for outcome in outcomes:
        codes = ", ".join(sorted(set(outcome.issue_codes))[:4])
        parts.append(
            f"{outcome.mode}: schema {'ok' if outcome.schema_valid else 'INVALID'}, "
            f"grounding {'pass' if outcome.grounded else 'fail'}" + (f" ({codes})" if codes else "")
        )
    bar.advance(1, f"row {index}/{total} " + "; ".join(parts))
    return outcomes


async def _evaluate_rows(
    base_url: str, rows: list[dict[str, Any]], seed: int, max_tokens: int | None, progress: Progress
) -> list[CardOutcome]:
    settings = Settings(llm_base_url=base_url, llm_backend=BackendKind.llama_server, max_attempts=1)
    timeout = httpx.Timeout(settings.request_timeout_s, connect=settings.connect_timeout_s)
    async with httpx.AsyncClient(timeout=timeout) as client:
        backend = make_backend(client, settings)
        # The generator's limiter sizes itself to the server's slots: rows run that many at a time.
        limiter = SlotLimiter((await backend.info()).slots, len(rows), settings.request_timeout_s * len(rows))
        generator = CardGenerator(backend, limiter, GeneratorMetrics(limiter), settings)
        requests = [card_request(row, seed + index, max_tokens) for index, row in enumerate(rows, start=1)]
        with steps(progress, len(rows), "eval", "row") as bar:
            per_row = await asyncio.gather(
                *(
                    _evaluate_row(generator, index, request, len(rows), bar)
                    for index, request in enumerate(requests, start=1)
                )
            )
    return [outcome for outcomes in per_row for outcome in outcomes]


def render_markdown_report(report: dict[str, Any]) -> str:
    lines = [
        f"# Eval: {report['model']}",
        "",
        f"Data: `{report['data']}` ({report['rows']} rows), seed {report['seed']}, "
        f"one attempt per card, {report['generator']}.",
        "",
        "| mode | cards | schema-valid | grounded | MCQ cards | MCQ-rule violations | tokens/s "
        "| latency (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        s = report["summary"][mode]
        lines.append(
            f"| {mode} | {s['cards']} | {s['schema_valid_rate']:.1%} | {s['grounded_rate']:.1%} "
            f"| {s['mcq_cards']} | {s['mcq_rule_violations']} | {s['mean_tokens_per_s']:.1f} "
            f"| {s['mean_latency_ms']:.0f} |"
        )
    lines += ["", "Most frequent gate issues:", ""]
    for mode in MODES:
        counts = report["summary"][mode]["issue_counts"]
        top = ", ".join(f"`{code}` {count}" for code, count in list(counts.items())[:8]) or "none"
        lines.append(f"- {mode}: {top}")
    if report.get("gate"):
        gate = report["gate"]
        verdict = "PASS" if gate["passed"] else "FAIL"
        lines += [
            "",
            f"Promotion gate: grounding pass rate with json_schema {gate['grounded_rate']:.1%} "
            f">= {gate['min_grounded']:.1%}: **{verdict}**",
        ]
    return "\n".join(lines) + "\n"


def evaluate(
    model: Path,
    data: Path,
    out_dir: Path,
    *,
    seed: int = 1234,
    max_tokens: int | None = None,
    ctx_size: int = 4096,
    parallel: int = 1,
    limit: int | None = None,
    min_grounded: float | None = None,
    progress: Progress,
) -> dict[str, Any]:
    rows = load_rows(data)[:limit] if limit else load_rows(data)
    if not rows:
        raise ValueError(f"{data} has no rows to evaluate")
    out_dir.mkdir(parents=True, exist_ok=True)
    progress(f"serving {model} with llama-server")
    with serve_gguf(
        model, ctx_size=ctx_size, parallel=parallel, log_path=out_dir / "llama-server.log"
    ) as url:
        outcomes = asyncio.run(_evaluate_rows(url, rows, seed, max_tokens, progress))
    summary = {mode: asdict(summarize([o for o in outcomes if o.mode == mode])) for mode in MODES}
    report: dict[str, Any] = {
        "model": str(model),
        "data": str(data),
        "rows": len(rows),
        "seed": seed,
        "parallel": parallel,
        "generator": "aimed_generator.CardGenerator (json_schema) / fit_prompt+complete+judge (no schema)",
        "summary": summary,
        "cards": [asdict(o) for o in outcomes],
    }
    if min_grounded is not None:
        rate = summary["json_schema"]["grounded_rate"]
        report["gate"] = {"min_grounded": min_grounded, "grounded_rate": rate, "passed": rate >= min_grounded}
    (out_dir / "eval.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / "eval.md").write_text(render_markdown_report(report), encoding="utf-8")
    progress(f"wrote {out_dir / 'eval.md'} and {out_dir / 'eval.json'}")
    return report
