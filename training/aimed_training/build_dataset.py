"""`aimed-train build-dataset`: a teacher model drafts gold cards; only those that pass the gate are kept.

Input: a JSONL of contexts (`tema`, `contexto_mcp`, optional `modulo`, `prioridad`,
`fuente`, `split`). For each context and each requested card kind the teacher — any
OpenAI-compatible server, llama-server included — is asked through the generator's
own library (`aimed_cardgen`: THE prompt builder, json_schema, the grounding gate, retries,
policy strict), opened with the teacher's plain options. A card the gate accepts becomes a
gold row; a refusal is recorded with its issues. Every decision goes into the report, so a
learner sees why a draft was dropped.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from aimed_cardgen import (
    BackendKind,
    CardGeneratorConfig,
    GenerationOptions,
    ModelServerConfig,
    Policy,
    open_generator,
)
from aimed_contracts.cards import CARD_KINDS
from aimed_contracts.errors import ServiceError
from aimed_contracts.grounding import check_card
from aimed_training.dataset import load_rows, task_for
from aimed_training.loop import Progress
from aimed_training.progress import steps

ROW_FIELDS = ("tema", "modulo", "prioridad", "split", "fuente")


async def _draft_all(
    teacher: ModelServerConfig,
    contexts: list[dict[str, Any]],
    kinds: list[str],
    attempts: int,
    seed: int,
    progress: Progress,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    async with open_generator(CardGeneratorConfig(server=teacher)) as generator:
        with steps(progress, len(contexts) * len(kinds), "build-dataset", "draft") as bar:
            for number, row in enumerate(contexts, start=1):
                for kind in kinds:
                    task = task_for(row, kind)
                    options = GenerationOptions(policy=Policy.strict, attempts=attempts, seed=seed + number)
                    decision: dict[str, Any] = {"context": number, "tema": row["tema"], "kind": kind}
                    try:
                        result = await generator.generate(task, options)
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
                        card = result.card.model_dump(mode="json")
                        # Belt and braces: the row must pass the same gate `validate` applies to gold data.
                        report = check_card(card, row["contexto_mcp"], topic=row["tema"])
                        decision.update(
                            kept=report.valid,
                            reason="grounded" if report.valid else "gate",
                            attempts=result.attempts,
                        )
                        if report.valid:
                            kept.append(
                                {
                                    **{k: row[k] for k in ROW_FIELDS if k in row},
                                    "split": row.get("split", "train"),
                                    "contexto_mcp": row["contexto_mcp"],
                                    "casos_generados": card,
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
    request_timeout_s: float | None = None,
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
    teacher = ModelServerConfig(base_url=base_url, backend=BackendKind(backend), model=model, api_key=api_key)
    if request_timeout_s:
        teacher = replace(teacher, request_timeout_s=request_timeout_s)
    kept, decisions = asyncio.run(_draft_all(teacher, contexts, kinds, attempts, seed, progress))
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
