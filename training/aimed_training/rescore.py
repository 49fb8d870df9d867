"""`aimed-train rescore REPORT.json`: re-judge an eval's stored answers with the current gate.

An eval report (`aimed-train eval`) keeps each card's answer as the gate saw it
(`cards[].output`). When the gate changes, the answers need no model and no GPU to be
judged again: each is passed through the generator library's `judge` (parse, contract, gate with
the row's context and topic), the per-mode summary is recomputed, and the result is
written beside the report as `<stem>-<suffix>.json` and `.md` (suffix `gate2` by default).

Cards without a stored output (reports written before outputs were kept, or answers the
generator refused without returning them) cannot be re-judged: they keep their old
verdict and are counted in `rescore.not_rescored`, so a reader sees how much of the new
summary is new. The context is the row's whole context; the generator judged against the
passages it fitted into the window, which is the same text for every gold row (they fit).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aimed_cardgen.verdict import judge
from aimed_training.dataset import load_rows, task_for_row
from aimed_training.evaluation import (
    MCQ_RULE_CODES,
    MODES,
    CardOutcome,
    render_markdown_report,
    summarize,
)


def _rejudged(outcome: CardOutcome, row: dict[str, Any]) -> CardOutcome:
    task = task_for_row(row)
    judgement = judge(outcome.output or "", task, [c.text for c in task.contexts])
    codes = [issue.code for issue in judgement.issues]
    parsed = judgement.card is not None
    return CardOutcome(
        **{
            **asdict(outcome),
            "schema_valid": parsed,
            "grounded": judgement.valid,
            "mcq_violations": sorted({c for c in codes if c in MCQ_RULE_CODES}) if parsed else [],
            "issue_codes": codes,
        }
    )


def rescore(report_path: Path, *, suffix: str = "gate2", data: Path | None = None) -> dict[str, Any]:
    """The report re-judged with the current gate, written beside it; returns the new report."""
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    data_path = data or Path(report["data"])
    rows = load_rows(data_path)
    outcomes: list[CardOutcome] = []
    not_rescored = 0
    for card in report["cards"]:
        outcome = CardOutcome(**card)
        if outcome.output is None:
            not_rescored += 1
            outcomes.append(outcome)
            continue
        # Rows are numbered from 1, as `evaluate` did.
        outcomes.append(_rejudged(outcome, rows[outcome.row - 1]))
    rescored = {
        **report,
        "summary": {mode: asdict(summarize([o for o in outcomes if o.mode == mode])) for mode in MODES},
        "cards": [asdict(o) for o in outcomes],
        "rescore": {
            "from": str(report_path),
            "gate": "aimed_contracts.grounding.check_card as of this run (through aimed_cardgen's judge)",
            "rescored": len(outcomes) - not_rescored,
            "not_rescored": not_rescored,
        },
    }
    rescored.pop("gate", None)  # a promotion verdict belongs to the run that made it
    out = report_path.with_name(f"{report_path.stem}-{suffix}")
    out.with_suffix(".json").write_text(json.dumps(rescored, indent=2, ensure_ascii=False) + "\n", "utf-8")
    note = (
        f"\nRe-scored from `{report_path.name}` with the current gate: {len(outcomes) - not_rescored} "
        f"card(s) re-judged, {not_rescored} without a stored output kept as scored then.\n"
    )
    out.with_suffix(".md").write_text(render_markdown_report(rescored) + note, "utf-8")
    return rescored
