"""`aimed-mcp [stdio|http]`: serve the MCP tools over stdio (default) or streamable HTTP."""

from __future__ import annotations

import argparse

import uvicorn

from aimed_mcp.config import get_settings
from aimed_mcp.http import create_http_app
from aimed_mcp.server import build_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="aimed-mcp", description=__doc__)
    parser.add_argument("transport", nargs="?", choices=("stdio", "http"), default="stdio")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.transport == "stdio":
        build_server(settings).run("stdio")
        return
    uvicorn.run(create_http_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
