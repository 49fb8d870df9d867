"""One logging format for every service process."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Root handler and format (unless the server already set one up), and `level` for the
    services' own `aimed.*` loggers in any case."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aimed").setLevel(level.upper())
