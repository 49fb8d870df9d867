"""The committed contracts (card schema, OpenAPI documents, configuration reference) are current.

infra/scripts/export_docs.py generates them from the code (`make docs`); a change to a
route, a model or a Settings class without regenerating them fails here, naming the file
and the first lines that differ.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORT_SCRIPT = REPO / "infra/scripts/export_docs.py"
EXPECTED = {
    "docs/card.schema.json",
    "docs/configuration.md",
    "docs/openapi/scheduler.json",
    "docs/openapi/generator.json",
    "docs/openapi/gateway.json",
}


def _export_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_docs", EXPORT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    outputs: dict[Path, str] = _export_docs().outputs()
    return {str(path.relative_to(REPO)): text for path, text in outputs.items()}


def test_every_published_document_is_generated(generated: dict[str, str]) -> None:
    assert set(generated) == EXPECTED


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_committed_document_equals_generated(relative: str, generated: dict[str, str]) -> None:
    path = REPO / relative
    assert path.is_file(), f"{relative} is missing: run `make docs` and commit it."
    committed = path.read_text(encoding="utf-8")
    if committed != generated[relative]:
        diff = difflib.unified_diff(
            committed.splitlines(),
            generated[relative].splitlines(),
            fromfile=f"{relative} (committed)",
            tofile=f"{relative} (from the code)",
            lineterm="",
            n=1,
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{relative} is stale: run `make docs` and commit the result.\n{shown}")


def test_openapi_documents_name_their_service(generated: dict[str, str]) -> None:
    """Each document describes its own service's routes, not a neighbour's."""
    gateway = generated["docs/openapi/gateway.json"]
    scheduler = generated["docs/openapi/scheduler.json"]
    generator = generated["docs/openapi/generator.json"]
    assert '"/api/v1/study/reviews"' in gateway and '"/v1/learners/{learner_id}/reviews"' not in gateway
    assert '"/v1/learners/{learner_id}/reviews"' in scheduler and '"/api/v1/' not in scheduler
    assert '"/v1/cards"' in generator and '"/v1/learners' not in generator


API_GUIDE = REPO / "docs/api-guide.md"
_CODE_BLOCK = re.compile(r"```(bash|python)\n(.*?)```", re.S)
_CURL_URL = re.compile(r'"\$AIMED_URL(/api/v1/[^"?]*)')
_PYTHON_CALL = re.compile(r'\b(?:api|new_learner)\.(get|post|patch|delete)\(\s*f?"(/[^"?]*)')


def _guide_calls() -> list[tuple[str, str]]:
    """(METHOD, path) of every curl command and httpx call in docs/api-guide.md."""
    calls = []
    for language, body in _CODE_BLOCK.findall(API_GUIDE.read_text(encoding="utf-8")):
        if language == "bash":
            for command in body.replace("\\\n", " ").splitlines():
                for path in _CURL_URL.findall(command):
                    method = re.search(r"-X (\w+)", command)
                    sends = re.search(r"\s(-d|-F|--data-binary)\s", command)
                    calls.append((method.group(1) if method else "POST" if sends else "GET", path))
        else:
            calls += [(m.upper(), "/api/v1" + path) for m, path in _PYTHON_CALL.findall(body)]
    return calls


def _route_exists(method: str, path: str, openapi: dict[str, dict[str, object]]) -> bool:
    segments = path.rstrip("/").split("/")
    for template, operations in openapi.items():
        parts = template.split("/")
        if (
            len(parts) == len(segments)
            and method.lower() in operations
            and all(
                p == s or (p.startswith("{") and (s.startswith("$") or s.startswith("{")))
                for p, s in zip(parts, segments, strict=True)
            )
        ):
            return True
    return False


def test_api_guide_calls_only_routes_the_gateway_has(generated: dict[str, str]) -> None:
    """Every curl and httpx example in the API guide names a route and method the gateway serves."""
    paths = json.loads(generated["docs/openapi/gateway.json"])["paths"]
    calls = _guide_calls()
    assert {("POST", "/api/v1/study/reviews"), ("GET", "/api/v1/export/anki")} <= set(calls), calls
    unknown = sorted({call for call in calls if not _route_exists(*call, paths)})
    assert unknown == [], f"docs/api-guide.md calls routes the gateway does not have: {unknown}"
