"""`aimed-train`: validate, split, train, export, eval, pack, build-dataset.

Progress goes to stderr (a bar with an estimate on a terminal, plain lines otherwise),
results to stdout; every failure is one line that says what,
where and what to do, with a non-zero exit (1: bad data or a failed gate, 2: usage or
environment).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from aimed_training.config import ConfigError, TrainConfig, load_config
from aimed_training.progress import Progress

EXIT_BAD_DATA = 1
EXIT_USAGE = 2
DEFAULT_HELDOUT = Path("training/data/heldout.jsonl")
# What `pack` copies out of a run folder (GGUF and run record); the first two must exist.
RUN_RECORD = (
    "summary.json",
    "config.yaml",
    "data.sha256",
    "loss.csv",
    "loss.png",
    "data/split.json",
    "export/export.json",
    "eval/eval.md",
    "eval/eval.json",
)

_progress = Progress()


def _token_counter(config: TrainConfig) -> Any:
    from aimed_training.backends.hf_backend import load_base_tokenizer
    from aimed_training.formatting import encode_row

    tokenizer = load_base_tokenizer(config.model)
    return lambda row: encode_row(tokenizer, row).n_tokens


def cmd_validate(args: argparse.Namespace) -> int:
    from aimed_training.validation import format_report, validate_file

    count_tokens = None
    max_seq_length = None
    if args.config:
        config = load_config(args.config)
        max_seq_length = args.max_seq_length or config.model.max_seq_length
        _progress(f"counting tokens with the tokenizer of {config.model.name}")
        count_tokens = _token_counter(config)
    report = validate_file(
        args.data, count_tokens=count_tokens, max_seq_length=max_seq_length, progress=_progress
    )
    print(format_report(report))
    if args.json:
        args.json.write_text(
            json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0 if report.ok else EXIT_BAD_DATA


def cmd_split(args: argparse.Namespace) -> int:
    from aimed_training.split import write_split

    result, stale = write_split(args.gold, args.out, check=args.check)
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    if args.check:
        if stale:
            print(f"out of date: {', '.join(map(str, stale))}; run `aimed-train split` ({counts})")
            return EXIT_BAD_DATA
        print(f"train/heldout are current ({counts})")
        return 0
    print(f"wrote {args.out / 'train.jsonl'} and {args.out / 'heldout.jsonl'} ({counts})")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from aimed_training.train import train

    config = load_config(args.config)
    updates: dict[str, Any] = {}
    if args.data:
        updates["data"] = args.data
    if args.output:
        updates["output_dir"] = args.output
    if args.max_steps:
        updates["training"] = config.training.model_copy(update={"max_steps": args.max_steps})
    config = config.model_copy(update=updates)
    if not config.data.is_file():
        raise FileNotFoundError(f"training data {config.data} does not exist (set `data:` or pass --data)")
    if args.heldout_fraction is not None:
        from aimed_training.learner_data import prepare

        train_file, _ = prepare(
            config.data, args.heldout_fraction, config.training.seed, Path(config.output_dir), _progress
        )
        config = config.model_copy(update={"data": train_file})
    result = train(config, _progress)
    print(json.dumps(json.loads((result.output_dir / "summary.json").read_text()), indent=2))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from aimed_training.export import export

    result = export(args.run, args.out or args.run / "export", args.quant, _progress)
    print(result.gguf)
    return 0


def _run_gguf(run: Path) -> Path:
    record = run / "export/export.json"
    if not record.is_file():
        raise FileNotFoundError(f"{record} does not exist: run `aimed-train export --run {run}` first")
    return run / "export" / json.loads(record.read_text(encoding="utf-8"))["gguf"]


def cmd_eval(args: argparse.Namespace) -> int:
    from aimed_training.evaluation import evaluate, render_markdown_report

    if args.model is None and args.run is None:
        raise FileNotFoundError("pass --model GGUF or --run RUN (the output of train + export)")
    model = args.model or _run_gguf(args.run)
    data = args.data
    if data is None:
        learner_heldout = args.run / "data/heldout.jsonl" if args.run else None
        data = learner_heldout if learner_heldout and learner_heldout.is_file() else DEFAULT_HELDOUT
    out = args.out or (args.run / "eval" if args.run else model.parent / f"eval-{model.stem}")
    report = evaluate(
        model,
        data,
        out,
        seed=args.seed,
        max_tokens=args.max_tokens,
        ctx_size=args.ctx_size,
        parallel=args.parallel,
        limit=args.limit,
        min_grounded=args.min_grounded,
        request_timeout_s=args.request_timeout_s,
        progress=_progress,
    )
    print(render_markdown_report(report))
    gate = report.get("gate")
    if gate and not gate["passed"]:
        print(
            f"promotion gate failed: grounding pass rate {gate['grounded_rate']:.1%} "
            f"< --min-grounded {gate['min_grounded']:.1%}",
            file=sys.stderr,
        )
        return EXIT_BAD_DATA
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from aimed_training.rescore import rescore

    report = rescore(args.report, suffix=args.suffix, data=args.data)
    for mode, summary in report["summary"].items():
        print(
            f"{mode}: schema-valid {summary['schema_valid_rate']:.1%}, "
            f"grounded {summary['grounded_rate']:.1%}, issues {summary['issue_counts']}"
        )
    counts = report["rescore"]
    print(f"re-judged {counts['rescored']} card(s); {counts['not_rescored']} had no stored output")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    import shutil

    gguf = _run_gguf(args.run)
    names = [str(gguf.relative_to(args.run)), *RUN_RECORD]
    missing = [name for name in (names[0], "summary.json") if not (args.run / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{args.run} lacks {', '.join(missing)}: run train and export first")
    args.to.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in names:
        source = args.run / name
        if source.is_file():
            # Flattened with the folder as a prefix (eval/eval.md -> eval-eval.md): one folder in Drive.
            target = args.to / name.replace("/", "-").removeprefix("export-")
            _progress(f"copying {source} to {target}")
            shutil.copy2(source, target)
            copied.append(target.name)
    print(json.dumps({"to": str(args.to), "files": copied}))
    return 0


def cmd_build_dataset(args: argparse.Namespace) -> int:
    from aimed_training.build_dataset import build_dataset

    report = build_dataset(
        args.contexts,
        args.out,
        args.report or args.out.with_suffix(".report.json"),
        base_url=args.base_url,
        backend=args.backend,
        model=args.model,
        api_key=args.api_key,
        kinds=args.kinds,
        attempts=args.attempts,
        seed=args.seed,
        request_timeout_s=args.request_timeout_s,
        progress=_progress,
    )
    print(json.dumps({k: report[k] for k in ("contexts", "drafted", "kept")}))
    return 0


def _unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a rate between 0 and 1")
    return value


def _open_unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction strictly between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aimed-train", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="per-line report of a gold JSONL; non-zero exit if any row is bad")
    p.add_argument("data", type=Path)
    p.add_argument(
        "--config", type=Path, help="count tokens with this config's model tokenizer and max_seq_length"
    )
    p.add_argument("--max-seq-length", type=int, help="override the config's max_seq_length")
    p.add_argument("--json", type=Path, help="also write the report as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("split", help="gold/*.jsonl -> train.jsonl + heldout.jsonl (deterministic)")
    p.add_argument("--gold", type=Path, default=Path("training/data/gold"))
    p.add_argument("--out", type=Path, default=Path("training/data"))
    p.add_argument("--check", action="store_true", help="only check that the files are current")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("train", help="LoRA fine-tune; saves adapter, config, data hash, loss curve")
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--data", type=Path, help="override the config's data file")
    p.add_argument("--output", type=Path, help="override the config's output_dir")
    p.add_argument("--max-steps", type=int, help="override training.max_steps")
    p.add_argument(
        "--heldout-fraction",
        type=_open_unit_interval,
        help="the data is the learner's own file: validate it, hold out about this fraction "
        "(whole topics) into OUTPUT/data/heldout.jsonl and train on the rest",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="merge the adapter, convert to GGUF f16, quantize")
    p.add_argument("--run", type=Path, required=True, help="the output_dir of `train`")
    p.add_argument("--out", type=Path, help="default: RUN/export")
    p.add_argument("--quant", default="q4_k_m", choices=["q4_k_m", "q5_k_m", "q8_0", "f16"])
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("eval", help="serve a GGUF and generate one card per row through the generator")
    p.add_argument("--model", type=Path, help="the GGUF (default with --run: the run's exported GGUF)")
    p.add_argument("--run", type=Path, help="a run folder: its GGUF, its held-out part, RUN/eval")
    p.add_argument(
        "--data", type=Path, help=f"held-out rows (default: RUN/data/heldout.jsonl or {DEFAULT_HELDOUT})"
    )
    p.add_argument("--out", type=Path, help="report folder (default: RUN/eval or beside the model)")
    p.add_argument("--min-grounded", type=_unit_interval, help="fail (exit 1) below this grounding pass rate")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--max-tokens", type=int, help="completion budget per card (default: the generator's)")
    p.add_argument("--ctx-size", type=int, default=4096, help="llama-server context per slot")
    p.add_argument("--parallel", type=int, default=1, help="llama-server slots; rows run that many at a time")
    p.add_argument("--limit", type=int, help="only the first N rows")
    p.add_argument(
        "--request-timeout-s",
        type=float,
        help="longest wait for one llama-server answer (default: the generator's); slow machines need more",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("rescore", help="re-judge an eval report's stored answers with the current gate")
    p.add_argument("report", type=Path, help="an eval.json written by `aimed-train eval`")
    p.add_argument("--suffix", default="gate2", help="written beside it as STEM-SUFFIX.json and .md")
    p.add_argument("--data", type=Path, help="the held-out rows (default: the path the report names)")
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser("pack", help="copy a run's GGUF and run record into one folder (e.g. Drive)")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--to", type=Path, required=True)
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser(
        "build-dataset", help="a teacher model drafts gold cards; keeps those that pass the gate"
    )
    p.add_argument(
        "--contexts", type=Path, required=True, help="JSONL with tema, contexto_mcp (+ modulo, ...)"
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--report", type=Path, help="decisions as JSON (default: OUT.report.json)")
    p.add_argument("--base-url", required=True, help="teacher server, OpenAI-compatible (without /v1)")
    p.add_argument("--backend", default="openai", choices=["openai", "llama_server"])
    p.add_argument("--model", help="model name sent to the teacher")
    p.add_argument("--api-key", help="bearer token for the teacher, if it needs one")
    p.add_argument("--kinds", nargs="+", default=["battlecard", "drill_mcq", "drill_open"])
    p.add_argument("--attempts", type=int, default=3, help="drafts per card before giving up")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument(
        "--request-timeout-s",
        type=float,
        help="longest wait for one answer of the teacher (default: the generator's)",
    )
    p.set_defaults(func=cmd_build_dataset)
    return parser


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # SystemExit unwinds the stack, so a llama-server started by `eval` is stopped too.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return int(args.func(args))
    except (ConfigError, FileNotFoundError) as exc:
        print(f"aimed-train {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"aimed-train {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_DATA
    except (RuntimeError, TimeoutError, ImportError) as exc:
        print(f"aimed-train {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
