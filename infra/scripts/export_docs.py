"""Regenerates the published contracts from the code: docs/card.schema.json,
docs/openapi/<service>.json and docs/configuration.md (from the Settings classes).

`make docs` runs it; tests/infra/test_docs_current.py fails when a committed file is stale.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from aimed_contracts.schema import schema_document

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("scheduler", "generator", "gateway")
# aimed-mcp has settings but no OpenAPI document (it speaks MCP, not REST).
CONFIGURED = (*SERVICES, "mcp")


def openapi(service: str) -> str:
    main = importlib.import_module(f"aimed_{service}.main")
    app = main.create_app()
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def settings_class(service: str) -> type[BaseSettings]:
    config = importlib.import_module(f"aimed_{service}.config")
    cls: type[BaseSettings] = config.Settings
    return cls


def env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The environment variables pydantic-settings reads for one field."""
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices is not None:
        return list(dict.fromkeys(str(c).upper() for c in choices))
    if isinstance(alias, str):
        return [alias.upper()]
    prefix = str(cls.model_config.get("env_prefix", ""))
    return [f"{prefix}{name}".upper()]


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    value: Any = field.get_default(call_default_factory=True)
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return f"`{value}`" if value not in ("", None) else "(empty)"


def configuration() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from each service's `Settings` class by `make docs`; do not edit by hand.",
        "Every setting is an environment variable (a `.env` file in the working directory is",
        "read too). Where two names are listed, either works.",
        "",
    ]
    for service in CONFIGURED:
        cls = settings_class(service)
        lines += [f"## {service}", "", "| variable | default | meaning |", "|---|---|---|"]
        for name, field in cls.model_fields.items():
            names = " / ".join(f"`{n}`" for n in env_names(cls, name, field))
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| {names} | {_default(field)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


def outputs() -> dict[Path, str]:
    files = {
        REPO / "docs/card.schema.json": schema_document(),
        REPO / "docs/configuration.md": configuration(),
    }
    for service in SERVICES:
        files[REPO / f"docs/openapi/{service}.json"] = openapi(service)
    return files


def main() -> int:
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
