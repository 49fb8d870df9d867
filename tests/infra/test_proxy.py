"""The reverse proxy: a real nginx rendered from infra/nginx/site.conf.template.

Upstream of it sits a small real HTTP server that records every request it receives,
so the tests can prove both halves of the contract: /api/ reaches the upstream intact,
and nothing else ever does (the internal services' paths stop at nginx).
The same template in front of the real gateway is tested in test_proxy_stack.py.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from infra.nginx.render import nginx_command, render_site, write_local_config
from tests.support.llama import free_port

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"

# Paths the scheduler, the generator and llama-server answer on their own ports; none
# may be reachable through the proxy, however the path is spelled.
INTERNAL_PATHS = [
    "/v1/cards",
    "/v1/learners",
    "/v1/learners/1/topics",
    "/v1/learners/1/next",
    "/v1/validate",
    "/v1/schema",
    "/v1/chat/completions",
    "/v1/models",
    "/health",
    "/metrics",
    "/completion",
    "/props",
    "/slots",
    "/api/../v1/cards",
    "/api/v1/../../v1/learners",
    "/api/%2e%2e/health",
    "//v1/cards",
    "/API/v1/study/next",
]


@dataclass
class RecordingUpstream:
    """A real HTTP server standing in for the gateway: answers JSON, remembers every request."""

    port: int
    requests: list[dict[str, object]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> RecordingUpstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                upstream.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                # Large enough for gzip_min_length, like a real stats or topics answer.
                payload = json.dumps(
                    {"path": self.path, "items": [{"n": i, "name": "tema"} for i in range(80)]}
                )
                data = payload.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Proxy:
    url: str
    port: int
    conf: Path


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    server = RecordingUpstream(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if not (FRONTEND / "vendor" / "marked.esm.js").is_file():
        subprocess.run(["bash", str(REPO / "infra/scripts/frontend_vendor.sh")], check=True)
    port = free_port()
    runtime = tmp_path_factory.mktemp("nginx")
    conf = write_local_config(
        runtime, listen_port=port, frontend_root=FRONTEND, gateway_upstream=f"127.0.0.1:{upstream.port}"
    )
    process = subprocess.Popen(nginx_command(conf), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(url + "/", timeout=1.0)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (runtime / "error.log").read_text() if (runtime / "error.log").exists() else ""
                process.kill()
                pytest.fail(f"nginx did not start: {log}")
            time.sleep(0.1)
    yield Proxy(url=url, port=port, conf=conf)
    process.terminate()
    process.wait(timeout=10)


def raw_get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """GET with the path sent byte for byte (httpx would normalise dot segments first)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_api_requests_reach_the_gateway_unchanged(proxy: Proxy, upstream: RecordingUpstream) -> None:
    upstream.requests.clear()
    response = httpx.post(
        proxy.url + "/api/v1/study/reviews?x=1",
        json={"grade": "good"},
        headers={"Authorization": "Bearer secreto", "X-Aimed-Now": "2026-12-01T09:00:00+00:00"},
    )
    assert response.status_code == 200
    assert response.json()["path"] == "/api/v1/study/reviews?x=1"
    [seen] = upstream.requests
    assert seen["method"] == "POST"
    assert seen["path"] == "/api/v1/study/reviews?x=1"
    assert json.loads(seen["body"]) == {"grade": "good"}  # type: ignore[arg-type]
    headers = {k.lower(): v for k, v in seen["headers"].items()}  # type: ignore[attr-defined]
    assert headers["authorization"] == "Bearer secreto"
    assert headers["x-aimed-now"] == "2026-12-01T09:00:00+00:00"
    assert headers["x-forwarded-for"] == "127.0.0.1"


@pytest.mark.parametrize("path", INTERNAL_PATHS)
def test_internal_service_paths_are_not_reachable(
    proxy: Proxy, upstream: RecordingUpstream, path: str
) -> None:
    upstream.requests.clear()
    response = raw_get(proxy.port, path)
    assert response.status in (400, 404), f"{path} answered {response.status}"
    # None of these normalises to /api/..., so the gateway must not even see them.
    assert [r["path"] for r in upstream.requests] == [], f"{path} reached the upstream"


def test_the_frontend_is_served_with_module_friendly_types(proxy: Proxy) -> None:
    index = httpx.get(proxy.url + "/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/app.js">' in index.text
    for path in ("/js/app.js", "/vendor/marked.esm.js", "/vendor/purify.es.mjs", "/vendor/chart.umd.min.js"):
        response = httpx.get(proxy.url + path)
        assert response.status_code == 200, path
        # Browsers refuse an ES module served with any other type when nosniff is on.
        assert response.headers["content-type"].startswith("text/javascript"), path
    assert httpx.get(proxy.url + "/css/app.css").headers["content-type"].startswith("text/css")


def test_dotfiles_and_missing_files_are_404(proxy: Proxy) -> None:
    assert (FRONTEND / "vendor" / ".lock-sha256").is_file()
    assert httpx.get(proxy.url + "/vendor/.lock-sha256").status_code == 404
    assert httpx.get(proxy.url + "/no-existe.html").status_code == 404


@pytest.mark.parametrize("path", ["/", "/js/app.js", "/api/v1/stats", "/v1/cards"])
def test_security_headers_on_every_answer(proxy: Proxy, path: str) -> None:
    response = httpx.get(proxy.url + path)
    csp = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (part.strip() for part in csp.split(";")) if d}
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers or "/" not in response.headers["server"]


@pytest.mark.parametrize(
    "path", ["/js/views/study.js", "/vendor/chart.umd.min.js", "/css/app.css", "/api/v1/topics"]
)
def test_gzip_on_text_answers(proxy: Proxy, path: str) -> None:
    response = raw_get(proxy.port, path, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in (response.getheader("Vary") or "")
    plain = raw_get(proxy.port, path)
    assert plain.getheader("Content-Encoding") is None


def test_gzip_body_decodes_to_the_file(proxy: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("GET", "/js/views/study.js", headers={"Accept-Encoding": "gzip"})
    body = connection.getresponse().read()
    connection.close()
    assert gzip.decompress(body) == (FRONTEND / "js/views/study.js").read_bytes()


def test_generation_fits_in_the_read_timeout() -> None:
    site = render_site(listen_port=8080, frontend_root=FRONTEND, gateway_upstream="gateway:8001")
    assert "proxy_read_timeout 180s;" in site
    assert "proxy_pass http://gateway:8001;" in site


def test_render_substitutes_only_its_placeholders() -> None:
    site = render_site(listen_port=8123, frontend_root=FRONTEND, gateway_upstream="127.0.0.1:9")
    assert "${" not in site
    assert "listen 127.0.0.1:8123;" in site
    assert f"root {FRONTEND.resolve()};" in site
    # nginx's own variables survive, as with envsubst given an explicit variable list.
    for variable in ("$host", "$remote_addr", "$proxy_add_x_forwarded_for", "$uri"):
        assert variable in site


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gateway_upstream": "http://gateway:8001"}, "host:port"),
        ({"gateway_upstream": "gateway"}, "host:port"),
        ({"listen_port": 0}, "listen_port"),
        ({"listen_address": "0.0.0.0; evil"}, "listen_address"),
        ({"frontend_root": REPO / "docs"}, "index.html"),
    ],
)
def test_render_refuses_bad_values(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "listen_port": 8080,
        "frontend_root": FRONTEND,
        "gateway_upstream": "127.0.0.1:8001",
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        render_site(**values)  # type: ignore[arg-type]


def test_rendered_config_passes_nginx_syntax_check(tmp_path: Path) -> None:
    conf = write_local_config(
        tmp_path, listen_port=free_port(), frontend_root=FRONTEND, gateway_upstream="127.0.0.1:8001"
    )
    command = [part for part in nginx_command(conf) if part not in ("-g", "daemon off;")] + ["-t"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


MIB = 1024 * 1024


def start_nginx(runtime: Path, gateway_upstream: str) -> tuple[subprocess.Popen[bytes], str]:
    """A second nginx on the template (e.g. in front of a gateway that is down)."""
    port = free_port()
    conf = write_local_config(
        runtime, listen_port=port, frontend_root=FRONTEND, gateway_upstream=gateway_upstream
    )
    process = subprocess.Popen(nginx_command(conf), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=1.0)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("nginx did not start")


def assert_api_envelope(response: httpx.Response, status: int, error_type: str) -> None:
    """One of nginx's own answers under /api/: the JSON envelope, uncached, with the security headers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body["error"]) == {"type", "message", "detail"}
    assert body["error"]["type"] == error_type
    assert response.headers.get_list("cache-control") == ["no-store"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_a_body_over_the_limit_gets_the_json_413(proxy: Proxy, upstream: RecordingUpstream) -> None:
    before = len(upstream.requests)
    response = httpx.post(
        proxy.url + "/api/v1/topics/import",
        content=b"x" * (12 * MIB),
        headers={"Content-Type": "text/csv"},
        timeout=30,
    )
    assert_api_envelope(response, 413, "payload_too_large")
    assert len(upstream.requests) == before


@pytest.mark.parametrize("path", ["/api/v1/import/backup", "/api/v1/import/temario"])
def test_backups_and_temarios_may_be_larger_than_other_bodies(
    proxy: Proxy, upstream: RecordingUpstream, path: str
) -> None:
    # Documented limits: backups 100 MB, a temario.db 50 MiB; 12 MiB is over any other route's.
    response = httpx.post(
        proxy.url + path,
        content=b"{" + b" " * (12 * MIB) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200
    assert len(upstream.requests[-1]["body"]) == 12 * MIB + 2  # type: ignore[arg-type]


def test_body_limits_follow_the_gateway_settings() -> None:
    """The proxy lets through what the gateway accepts (+1 MiB of multipart framing), no more."""
    from aimed_contracts.limits import TEMARIO_MAX_BYTES
    from aimed_gateway.config import Settings

    site = render_site(listen_port=8080, frontend_root=FRONTEND, gateway_upstream="gateway:8001")
    start = site.index("    location ^~ /api/")
    api = site[start : site.index("\n    location", start + 1)]  # up to the next server-level location
    limits = [int(v) for v in re.findall(r"client_max_body_size (\d+)m;", api)]
    upload_mib = Settings().max_upload_bytes // MIB
    # routes/backup.py: a backup may be ten uploads large (docs/api-guide.md: 10 MB; backups 100 MB).
    assert limits == [upload_mib + 1, upload_mib * 10 + 1, TEMARIO_MAX_BYTES // MIB + 1]


def test_methods_nginx_refuses_get_the_json_405(proxy: Proxy) -> None:
    response = httpx.request("TRACE", proxy.url + "/api/v1/topics")
    assert_api_envelope(response, 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/.errors/413", "/no-existe.html", "/vendor/.lock-sha256"])
def test_what_nginx_itself_does_not_find_gets_the_json_404(proxy: Proxy, path: str) -> None:
    response = httpx.get(proxy.url + path)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_a_url_over_the_limit_gets_the_json_414(proxy: Proxy) -> None:
    response = httpx.get(proxy.url + "/api/v1/topics", params={"modulo": "x" * 10_000})
    assert_api_envelope(response, 414, "uri_too_long")


def test_a_gateway_that_is_down_gets_the_json_502(tmp_path: Path) -> None:
    process, url = start_nginx(tmp_path, f"127.0.0.1:{free_port()}")
    try:
        response = httpx.get(url + "/api/v1/me", timeout=10)
        assert_api_envelope(response, 502, "gateway_unavailable")
        # The frontend's own pages are not API answers: no envelope, cacheable with revalidation.
        page = httpx.get(url + "/", timeout=10)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-cache"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_api_answers_are_never_cached(proxy: Proxy) -> None:
    response = httpx.get(proxy.url + "/api/v1/stats")
    assert response.status_code == 200
    assert response.headers.get_list("cache-control") == ["no-store"]


def test_the_proxy_listens_on_loopback_only(proxy: Proxy) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with socket.socket() as client:
        client.settimeout(2)
        assert client.connect_ex((address, proxy.port)) != 0
    assert f"listen 127.0.0.1:{proxy.port};" in (proxy.conf.parent / "site.conf").read_text()
