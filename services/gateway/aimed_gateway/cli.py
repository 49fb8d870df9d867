"""`aimed-gateway`: create learners and their tokens, or serve the API."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from aimed_gateway.config import get_settings
from aimed_gateway.scheduler_client import SchedulerClient
from aimed_gateway.tokens import TokenStore


async def _create_learner(name: str, timezone: str | None) -> str:
    settings = get_settings()
    scheduler = SchedulerClient(
        settings.scheduler_url, settings.scheduler_timeout_s, settings.internal_token_value
    )
    try:
        learner = await scheduler.create_learner(name, timezone)
    finally:
        await scheduler.aclose()
    return str(learner.id)


async def _check_learner(learner_id: str) -> None:
    settings = get_settings()
    scheduler = SchedulerClient(
        settings.scheduler_url, settings.scheduler_timeout_s, settings.internal_token_value
    )
    try:
        await scheduler.read_learner(learner_id)
    finally:
        await scheduler.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aimed-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-learner", help="create a learner in the scheduler and print a token")
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", default=None, help="IANA zone, e.g. Europe/Madrid")
    create.add_argument("--id-file", default=None, help="also write the learner id to this file")
    create_token = commands.add_parser("create-token", help="print a new token for an existing learner")
    create_token.add_argument("--learner", required=True, help="the learner id")
    demo = commands.add_parser(
        "load-demo", help="load the demo syllabus through the API if the learner has none"
    )
    demo.add_argument("--url", default="http://127.0.0.1:8080", help="the proxy (or gateway) base URL")
    demo.add_argument("--token-file", required=True)
    demo.add_argument("--gold", default="training/data/gold", help="folder of gold *.jsonl files")
    demo.add_argument(
        "--no-examples",
        action="store_true",
        help="leave out the hand-written example cards of today's topics (stored through the scheduler)",
    )
    serve = commands.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)

    from aimed_contracts.errors import ServiceError

    try:
        if args.command == "create-learner":
            learner_id = asyncio.run(_create_learner(args.name, args.timezone))
            if args.id_file:
                with open(args.id_file, "w", encoding="utf-8") as handle:
                    handle.write(learner_id + "\n")
            print(TokenStore(get_settings().token_db_path).issue(learner_id, label=args.name))
        elif args.command == "create-token":
            asyncio.run(_check_learner(args.learner))
            print(TokenStore(get_settings().token_db_path).issue(args.learner))
        elif args.command == "load-demo":
            from aimed_gateway.demo_syllabus import SchedulerCards, load_demo_syllabus

            token = Path(args.token_file).read_text(encoding="utf-8").strip()
            settings = get_settings()
            examples = (
                None
                if args.no_examples
                else SchedulerCards(settings.scheduler_url, settings.internal_token_value)
            )
            try:
                count, example_count = load_demo_syllabus(args.url, token, Path(args.gold), examples=examples)
            finally:
                if examples is not None:
                    examples.close()
            print(
                f"demo syllabus: {count} topics loaded, {example_count} hand-written example cards"
                if count
                else "demo syllabus: the learner already has topics"
            )
        else:
            import uvicorn

            uvicorn.run("aimed_gateway.main:create_app", factory=True, host=args.host, port=args.port)
    except ServiceError as exc:
        print(f"aimed-gateway: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
