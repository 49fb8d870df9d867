"""`create_app()`: the streamable-HTTP app from the environment's settings, for `uvicorn --factory`.

The service image starts every service the same way (services/Dockerfile); `aimed-mcp http`
serves the same app from the command line.
"""

from __future__ import annotations

from typing import Any

from aimed_mcp.config import get_settings
from aimed_mcp.http import create_http_app


def create_app() -> Any:
    return create_http_app(get_settings())
