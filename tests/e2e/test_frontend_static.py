"""Static checks of frontend/: the API paths it calls exist in the gateway's OpenAPI,
no script runs inline (the CSP forbids it), and untrusted text has one way into the
DOM (markdown.js, through DOMPurify), never an HTML string sink.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aimed_gateway.main import create_app

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SCRIPTS = sorted((FRONTEND / "js").rglob("*.js"))


def ui_paths() -> dict[str, str]:
    """The `paths` table of api.js, with `${...}` parameters turned into OpenAPI `{param}`."""
    source = (FRONTEND / "js/api.js").read_text(encoding="utf-8")
    start = source.index("export const paths = {")
    table = source[start : source.index("};", start)]
    found = {}
    for name, literal in re.findall(r"^\s*(\w+):\s*(?:\(\w+\)\s*=>\s*)?[`'](/[^`']*)[`']", table, re.M):
        found[name] = re.sub(r"\$\{[^}]+\}", "{param}", literal)
    return found


def test_every_ui_path_is_a_gateway_route() -> None:
    api_paths = {re.sub(r"\{[^}]+\}", "{param}", p) for p in create_app().openapi()["paths"]}
    paths = ui_paths()
    assert len(paths) >= 14, paths
    missing = {name: path for name, path in paths.items() if f"/api/v1{path}" not in api_paths}
    assert missing == {}, f"api.js calls routes the gateway does not have: {missing}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(FRONTEND)))
def test_every_module_parses(script: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is missing: run `make setup` (it installs npm and node)"
    result = subprocess.run(
        [node, "--input-type=module", "--check"], input=script.read_bytes(), capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(FRONTEND)))
def test_no_html_string_sinks(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, f"{script.name} uses {sink}"


def test_only_markdown_js_imports_the_sanitiser_and_parser() -> None:
    libraries = ("vendor/marked", "vendor/purify")
    importers = [p.name for p in SCRIPTS if any(lib in p.read_text() for lib in libraries)]
    assert importers == ["markdown.js"]


def test_index_has_no_inline_script_or_style() -> None:
    html = (FRONTEND / "index.html").read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script: {tag}"
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"\son\w+=", html), "inline event handler"
    assert 'lang="es"' in html
