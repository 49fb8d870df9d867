"""Static checks of the container deliverables (there is no Docker engine here).

The compose files validate against the Compose Specification; every service is
health-checked; only the proxy publishes a port; compose and the services' Settings
agree on every variable; Dockerfiles pass hadolint and reference files that exist.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from string import Template

import pytest
import yaml

from infra.scripts.export_docs import env_names, settings_class

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE_FILES = [REPO / "docker-compose.yml", REPO / "docker-compose.host-model.yml"]
# The services' one parameterised Dockerfile (compose's build args pick the service).
SHARED_SERVICE_DOCKERFILE = REPO / "services/Dockerfile"
DOCKERFILES = [SHARED_SERVICE_DOCKERFILE, REPO / "infra/proxy/Dockerfile", REPO / "training/Dockerfile"]
SERVICE_SETTINGS = {"scheduler": "scheduler", "generator": "generator", "gateway": "gateway"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_files_validate_against_the_compose_specification() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", *map(str, COMPOSE_FILES)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_health_check(compose: dict) -> None:
    missing = [name for name, svc in compose["services"].items() if "test" not in svc.get("healthcheck", {})]
    assert missing == []


def test_only_the_proxy_publishes_ports(compose: dict) -> None:
    publishing = sorted(name for name, svc in compose["services"].items() if svc.get("ports"))
    assert publishing == ["proxy"]


def interpolate_defaults(text: str) -> str:
    """A compose value as `docker compose` reads it with no variable set: each ${VAR:-default}."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def test_the_proxy_is_published_on_loopback_unless_the_user_opts_in(compose: dict) -> None:
    ports = [interpolate_defaults(p) for p in compose["services"]["proxy"]["ports"]]
    assert ports == ["127.0.0.1:8080:8080"]


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_the_internal_token_is_required_and_shared(compose: dict, service: str) -> None:
    value = compose["services"][service]["environment"]["AIMED_INTERNAL_TOKEN"]
    # ${VAR:?message}: compose refuses to start without it, so no default secret exists.
    assert re.fullmatch(r"\$\{AIMED_INTERNAL_TOKEN:\?[^}]+\}", value), value


def test_start_order_is_health_gated(compose: dict) -> None:
    for name, svc in compose["services"].items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert spec.get("condition") == "service_healthy", f"{name} -> {dep}"


def test_llama_image_is_the_vendored_llama_cpp_build(compose: dict) -> None:
    versions = dict(
        line.split("=", 1)
        for line in (REPO / "infra/llama/versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    image = compose["services"]["llama"]["image"]
    assert versions["LLAMA_SERVER_IMAGE"] in image
    assert versions["LLAMA_SERVER_IMAGE"].endswith(f"server-{versions['LLAMA_CPP_BUILD']}")


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_compose_environment_matches_the_service_settings(compose: dict, service: str) -> None:
    cls = settings_class(SERVICE_SETTINGS[service])
    readable = {
        name: env_names(cls, field_name, field)
        for field_name, field in cls.model_fields.items()
        for name in env_names(cls, field_name, field)
    }
    environment = compose["services"][service].get("environment", {})
    unused = sorted(set(environment) - set(readable))
    assert unused == [], f"{service}: compose sets variables its Settings never reads: {unused}"
    # A URL default that points at this machine is wrong inside a container: compose must set it.
    # (Bind addresses are not URLs: the images' CMD binds 0.0.0.0 explicitly.)
    for field_name, field in cls.model_fields.items():
        default = field.get_default(call_default_factory=True)
        local = isinstance(default, str) and re.search(r"://(127\.0\.0\.1|localhost)", default)
        if field.is_required() or local:
            names = env_names(cls, field_name, field)
            assert set(names) & set(environment), f"{service}: compose must set one of {names}"


def test_env_example_documents_every_interpolated_variable() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    used = {m for f in COMPOSE_FILES for m in re.findall(r"\$\{([A-Z][A-Z0-9_]*)", f.read_text())}
    assert sorted(used - documented) == []


def test_dockerfiles_pass_hadolint() -> None:
    result = subprocess.run([str(BIN / "hadolint"), *map(str, DOCKERFILES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def shared_dockerfile_builds() -> dict[str, dict[str, str]]:
    """Compose's build args for each service built from the shared Dockerfile, by service name."""
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    return {
        name: {key: str(value) for key, value in svc["build"].get("args", {}).items()}
        for name, svc in services.items()
        if "build" in svc and REPO / svc["build"]["dockerfile"] == SHARED_SERVICE_DOCKERFILE
    }


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_is_pinned_and_its_copies_exist(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    for image in re.findall(r"^FROM\s+(\S+)", text, re.M):
        assert ":" in image and not image.endswith(":latest"), f"unpinned base image {image}"
    assert "HEALTHCHECK" in text or "training" in str(dockerfile)
    # The shared Dockerfile's COPY sources hold ${SERVICE}: each service compose builds with it.
    services = shared_dockerfile_builds().values() if dockerfile == SHARED_SERVICE_DOCKERFILE else [{}]
    for args in services:
        for line in re.findall(r"^COPY\s+(?!--from)(.+)$", text, re.M):
            sources = [s for s in line.split()[:-1] if not s.startswith("--")]
            for source in sources:
                source = Template(source).substitute(args)
                assert (REPO / source).exists(), f"{dockerfile.name}: COPY source {source} does not exist"


def test_every_shared_dockerfile_build_names_a_service_its_port_and_existing_libraries() -> None:
    builds = shared_dockerfile_builds()
    assert sorted(builds) == ["gateway", "generator", "mcp", "scheduler"]
    for name, args in builds.items():
        assert args["SERVICE"] == name
        # The image's CMD: `uvicorn aimed_<SERVICE>.main:create_app --factory`.
        assert "def create_app(" in (REPO / f"services/{name}/aimed_{name}/main.py").read_text()
        assert args["PORT"].isdigit()
        for lib in args.get("LIBS", "contracts servicekit").split():
            assert (REPO / "libs" / lib / "pyproject.toml").is_file(), f"{name}: no library {lib}"


def test_service_images_run_as_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", SHARED_SERVICE_DOCKERFILE.read_text(), re.M)
    assert users and users[-1] not in ("root", "0")
