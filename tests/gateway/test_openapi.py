"""The public OpenAPI document states the limits the server enforces (issue 10): what
schemathesis cannot send as a valid case (a file's contents, a whole backup) is checked
here against the scheduler's own limits.
"""

from __future__ import annotations

from typing import Any

import pytest

from aimed_gateway.config import Settings
from aimed_gateway.main import create_app
from aimed_scheduler.backup import LearnerBackup
from aimed_scheduler.srs.settings import MAX_PERSPECTIVES
from aimed_scheduler.topic_import import MAX_ROWS


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    params = document["paths"][path]["get"]["parameters"]
    schema: dict[str, Any] = next(p for p in params if p["name"] == name)["schema"]
    return schema


def enum_of(schema: dict[str, Any]) -> list[str]:
    return next(option["enum"] for option in schema["anyOf"] if "enum" in option)


def test_status_filters_are_enums(document: dict[str, Any]) -> None:
    assert enum_of(parameter(document, "/api/v1/topics", "status")) == ["active", "suspended"]
    assert enum_of(parameter(document, "/api/v1/angles", "status")) == ["active", "mastered"]


def test_stats_days_has_the_schedulers_range(document: dict[str, Any]) -> None:
    days = parameter(document, "/api/v1/stats", "days")
    assert (days["minimum"], days["maximum"]) == (1, 365)


def test_a_syllabus_import_is_required_and_bounded(document: dict[str, Any]) -> None:
    body = document["paths"]["/api/v1/topics/import"]["post"]["requestBody"]
    assert body["required"] is True
    listed = body["content"]["application/json"]["schema"]
    assert (listed["minItems"], listed["maxItems"]) == (1, MAX_ROWS)
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    assert body["content"]["text/csv"]["schema"]["minLength"] == 1


def test_a_backup_body_is_the_exported_document(document: dict[str, Any]) -> None:
    body = document["paths"]["/api/v1/import/backup"]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["format", "format_version", "data"]
    assert schema["properties"]["format"] == {"const": "aimed-backup"}
    required_by_scheduler = {n for n, f in LearnerBackup.model_fields.items() if f.is_required()}
    assert set(schema["properties"]["data"]["required"]) == required_by_scheduler


def test_settings_carry_the_schedulers_ranges(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["SettingsUpdate"]["properties"]
    perspectives = next(o for o in schema["perspectives"]["anyOf"] if o.get("type") == "array")
    assert (perspectives["minItems"], perspectives["maxItems"]) == (1, MAX_PERSPECTIVES)
    relearn = next(o for o in schema["relearn_minutes"]["anyOf"] if o.get("type") == "integer")
    assert (relearn["minimum"], relearn["maximum"]) == (1, 1439)
