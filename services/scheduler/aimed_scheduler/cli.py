"""`aimed-scheduler`: migrate the database, import a temario.db, serve the API."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from aimed_contracts.errors import ServiceError
from aimed_scheduler import repository, temario
from aimed_scheduler.config import get_settings
from aimed_scheduler.db import WRITE_OPTIONS, make_engine, migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aimed-scheduler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the database migrations (also done at startup)")
    imp = commands.add_parser("import-temario", help="import a learner's temario.db")
    imp.add_argument("path", type=Path)
    imp.add_argument("--learner", type=int, required=True, help="learner id")
    imp.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")
    serve = commands.add_parser("serve", help="run the HTTP API with uvicorn")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.command == "serve":
        import uvicorn

        from aimed_scheduler.main import create_app

        uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port)
        return 0

    engine = make_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    migrate(engine)
    if args.command == "migrate":
        print(f"database at head: {engine.url.render_as_string(hide_password=True)}")
        return 0
    if not args.path.is_file():
        print(f"error: {args.path} does not exist or is not a file", file=sys.stderr)
        return 2
    with Session(engine.execution_options(**WRITE_OPTIONS)) as session:
        try:
            learner = repository.get_learner(session, args.learner)
            report = temario.import_temario(
                session, learner, args.path, datetime.now(UTC), dry_run=args.dry_run
            )
        except ServiceError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            if exc.detail:
                print(json.dumps(exc.detail, ensure_ascii=False, indent=2), file=sys.stderr)
            return 1
    print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
