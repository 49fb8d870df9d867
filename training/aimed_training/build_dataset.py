"""`aimed-train build-dataset`: a teacher model drafts gold cards; only those that pass the gate are kept.

Input: a JSONL of contexts (`tema`, `contexto_mcp`, optional `modulo`, `prioridad`,
`fuente`, `split`). For each context and each requested card kind the teacher — any
OpenAI-compatible server, llama-server included — is asked through the generator's
own code (`CardGenerator`: THE prompt builder, json_schema, the grounding gate, retries,
policy strict). A card the gate accepts becomes a gold row; a refusal is recorded with
its issues. Every decision goes into the report, so a learner sees why a draft was
dropped.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from aimed_contracts.cards import CARD_KINDS
from aimed_contracts.errors import ServiceError
from aimed_contracts.grounding import check_card
from aimed_generator.backends import make_backend
from aimed_generator.config import BackendKind, Policy, Settings
from aimed_generator.generation import CardGenerator
from aimed_generator.limiter import SlotLimiter
from aimed_generator.metrics import GeneratorMetrics
from aimed_generator.models import CardRequest, ContextIn
from aimed_training.dataset import load_rows, task_for
from aimed_training.loop import Progress
from aimed_training.progress import steps

ROW_FIELDS = ("tema", "modulo", "prioridad", "split", "fuente")


async def _draft_all(
    settings: Settings,
    contexts: list[dict[str, Any]],
    kinds: list[str],
    seed: int,
    progress: Progress,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    timeout = httpx.Timeout(settings.request_timeout_s, connect=settings.connect_timeout_s)
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else None
    async with httpx.AsyncClient(timeout=timeout, headers=headers) as client:
        backend = make_backend(client, settings)
        limiter = SlotLimiter((await backend.info()).slots, settings.max_queue, settings.queue_timeout_s)
        generator = CardGenerator(backend, limiter, GeneratorMetrics(limiter), settings)
        with steps(progress, len(contexts) * len(kinds), "build-dataset", "draft") as bar:
            for number, row in enumerate(contexts, start=1):
                for kind in kinds:
                    task = task_for(row, kind)
                    request = CardRequest(
                        task=task.task,
                        topic=task.topic,
                        contexts=[ContextIn(text=c.text, label=c.label) for c in task.contexts],
                        level=task.level,
                        seed=seed + number,
                        policy=Policy.strict,
                    )
                    decision: dict[str, Any] = {"context": number, "tema": row["tema"], "kind": kind}
                    try:
                        response = await generator.generate(request)
                    except ServiceError as exc:
                        detail = exc.detail if isinstance(exc.detail, dict) else {}
                        decision.update(
                            kept=False,
                            reason=exc.error_type,
                            message=exc.message,
                            issues=[
                                {k: i.get(k) for k in ("attempt", "code", "field", "message")}
                                for i in detail.get("issues", [])
                            ],
                        )
                    else:
                        # Belt and braces: the row must pass the same gate `validate` applies to gold data.
                        report = check_card(response.card, row["contexto_mcp"], topic=row["tema"])
                        decision.update(
                            kept=report.valid,
                            reason="grounded" if report.valid else "gate",
                            attempts=response.attempts,
                        )
                        if report.valid:
                            kept.append(
                                {
                                    **{k: row[k] for k in ROW_FIELDS if k in row},
                                    "split": row.get("split", "train"),
                                    "contexto_mcp": row["contexto_mcp"],
                                    "casos_generados": response.card,
                                }
                            )
                    decisions.append(decision)
                    bar.advance(
                        1,
                        f"context {number}/{len(contexts)} {kind}: "
                        + ("kept" if decision["kept"] else f"dropped ({decision['reason']})"),
                    )
    return kept, decisions


def build_dataset(
    contexts_path: Path,
    out_path: Path,
    report_path: Path,
    *,
    base_url: str,
    backend: str,
    model: str | None,
    api_key: str | None,
    kinds: list[str],
    attempts: int,
    seed: int,
    progress: Progress,
) -> dict[str, Any]:
    unknown = [k for k in kinds if k not in CARD_KINDS]
    if unknown:
        raise ValueError(f"unknown card kind(s) {unknown}; choose from {', '.join(CARD_KINDS)}")
    contexts = load_rows(contexts_path)
    missing = [
        n for n, row in enumerate(contexts, start=1) if not row.get("tema") or not row.get("contexto_mcp")
    ]
    if missing:
        raise ValueError(f"{contexts_path}: rows {missing} lack 'tema' or 'contexto_mcp'")
    settings = Settings(
        llm_base_url=base_url,
        llm_backend=BackendKind(backend),
        llm_model=model,
        llm_api_key=api_key,
        max_attempts=attempts,
        policy=Policy.strict,
    )
    kept, decisions = asyncio.run(_draft_all(settings, contexts, kinds, seed, progress))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as handle:
        for row in kept:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = {
        "contexts": len(contexts),
        "drafted": len(decisions),
        "kept": len(kept),
        "teacher": {"base_url": base_url, "backend": backend, "model": model},
        "decisions": decisions,
    }
    report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    progress(f"kept {len(kept)} of {len(decisions)} drafts; wrote {out_path} and {report_path}")
    return report
