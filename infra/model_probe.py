"""Finding the learner's own model for `make run`.

A learner who already runs Ollama (11434), LM Studio (1234) or llama-server (8080, 8081)
on this machine should get cards from that model, not from the tiny demo one. This asks
each of those ports for `GET /v1/models` (short timeouts), lists what it finds, and picks:

1. the model named by `AIMED_MODEL` (`AIMED_MODEL=demo` keeps the demo model);
2. else, on a terminal, the one the learner chooses from the list;
3. else the largest instruct model, judged by its name (`…-8B-Instruct`, `llama3.1:8b`).

A port with nothing listening is passed over in silence; one that does not answer in
time, or answers something that is not an OpenAI model list, is skipped with a message.
`MODEL_PATH` or `LLM_BASE_URL` set by the learner means they chose already: no probing.

`python -m infra.model_probe` prints `export …` lines for infra/scripts/run.sh (stdout)
and tells the learner what it found and chose, and how to change it (stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

# Where the usual local model servers listen by default, with the name the learner knows.
KNOWN_SERVERS: tuple[tuple[str, int], ...] = (
    ("Ollama", 11434),
    ("LM Studio", 1234),
    ("llama-server", 8080),
    ("llama-server", 8081),
)
DEMO_MODEL_HINT = "SmolLM2-135M-Instruct"
_PARAMS = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])")
_INSTRUCT = re.compile(r"instruct|chat|(?<![a-z])it(?![a-z])")
_TINY_PARAMS = 1.0e9


@dataclass(frozen=True)
class FoundServer:
    """A model server that answered `/v1/models` with at least one model."""

    name: str
    base_url: str
    backend: str  # the generator's LLM_BACKEND: llama_server or openai
    models: tuple[str, ...]


@dataclass(frozen=True)
class Skipped:
    """A port that was listening but gave no usable model list, and why."""

    name: str
    base_url: str
    reason: str


@dataclass(frozen=True)
class Choice:
    server: FoundServer
    model: str


class ProbeError(RuntimeError):
    """The learner named a model no server has; the message lists what there is."""


def parameter_count(model: str) -> float | None:
    """Parameters read from a model's name (`Llama-3.1-8B-Instruct` → 8e9), None if it does not say."""
    counts = [
        float(number) * (1e9 if unit == "b" else 1e6) for number, unit in _PARAMS.findall(model.lower())
    ]
    return max(counts) if counts else None


def is_instruct(model: str) -> bool:
    return bool(_INSTRUCT.search(model.lower()))


def is_tiny(model: str) -> bool:
    """Under a billion parameters (the demo's 135M): its cards nearly all fail the gate."""
    count = parameter_count(model)
    return count is not None and count < _TINY_PARAMS


def _model_ids(payload: object) -> tuple[str, ...] | None:
    """The ids of an OpenAI model list (`{"data": [{"id": …}]}`), None if it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        return None
    ids = [entry.get("id") for entry in payload["data"] if isinstance(entry, dict)]
    if not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        return None
    return tuple(str(i) for i in ids)


def probe_server(
    name: str, port: int, *, host: str = "127.0.0.1", timeout_s: float = 0.5
) -> FoundServer | Skipped | None:
    """One port: a server with models, a skipped one with the reason, or None if nothing listens."""
    base_url = f"http://{host}:{port}"
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 0.3))
    try:
        response = httpx.get(f"{base_url}/v1/models", timeout=timeout)
    except httpx.ConnectError:
        return None
    except httpx.TimeoutException:
        return Skipped(name, base_url, f"no answer to GET /v1/models within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return Skipped(name, base_url, f"GET /v1/models failed ({type(exc).__name__})")
    if response.status_code != 200:
        return Skipped(name, base_url, f"GET /v1/models answered {response.status_code}")
    try:
        ids = _model_ids(response.json())
    except ValueError:
        ids = None
    if ids is None:
        return Skipped(name, base_url, "GET /v1/models did not answer an OpenAI model list")
    return FoundServer(name, base_url, _backend(base_url, timeout), ids)


def _backend(base_url: str, timeout: httpx.Timeout) -> str:
    """llama-server answers /props with its generation settings; other servers speak plain OpenAI."""
    try:
        props = httpx.get(f"{base_url}/props", timeout=timeout)
        if props.status_code == 200 and "default_generation_settings" in props.json():
            return "llama_server"
    except (httpx.HTTPError, ValueError):
        pass
    return "openai"


def probe(
    servers: Sequence[tuple[str, int]] = KNOWN_SERVERS, *, host: str = "127.0.0.1", timeout_s: float = 0.5
) -> tuple[list[FoundServer], list[Skipped]]:
    found: list[FoundServer] = []
    skipped: list[Skipped] = []
    for name, port in servers:
        result = probe_server(name, port, host=host, timeout_s=timeout_s)
        if isinstance(result, FoundServer):
            found.append(result)
        elif isinstance(result, Skipped):
            skipped.append(result)
    return found, skipped


def candidates(found: Sequence[FoundServer]) -> list[Choice]:
    return [Choice(server, model) for server in found for model in server.models]


def default_choice(found: Sequence[FoundServer]) -> Choice | None:
    """The largest instruct model by its name; an instruct model first, then any, in probe order on ties."""
    options = candidates(found)
    if not options:
        return None
    return max(options, key=lambda c: (is_instruct(c.model), parameter_count(c.model) or 0.0))


def named_choice(found: Sequence[FoundServer], wanted: str) -> Choice:
    """The model called `wanted` (exactly, else the one model whose name contains it)."""
    options = candidates(found)
    exact = [c for c in options if c.model == wanted]
    if exact:
        return exact[0]
    partial = [c for c in options if wanted.lower() in c.model.lower()]
    if len(partial) == 1:
        return partial[0]
    listed = ", ".join(f"{c.model} ({c.server.name})" for c in options) or "none"
    what = "several models match" if partial else "no server has it"
    raise ProbeError(f"AIMED_MODEL={wanted}: {what}. Models found: {listed}. AIMED_MODEL=demo uses the demo.")


def choose(
    found: Sequence[FoundServer],
    wanted: str | None,
    ask: Callable[[list[Choice], Choice], Choice | None] | None = None,
) -> Choice | None:
    """The model to use; None means the demo model."""
    if wanted:
        return None if wanted.strip().lower() == "demo" else named_choice(found, wanted.strip())
    default = default_choice(found)
    if default is None:
        return None
    return ask(candidates(found), default) if ask is not None else default


def ask_on_terminal(options: list[Choice], default: Choice) -> Choice | None:
    """Numbered list on stderr (stdout is read by run.sh); Enter takes the default, 0 the demo."""
    for number, option in enumerate(options, start=1):
        mark = "  (default)" if option == default else ""
        print(
            f"    {number}. {option.model}  [{option.server.name}, {option.server.base_url}]{mark}",
            file=sys.stderr,
        )
    print("    0. the small demo model (SmolLM2-135M)", file=sys.stderr)
    while True:
        sys.stderr.write(f"  Which model? [Enter: {default.model}] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip()
        if not answer:
            return default
        if answer.isdigit() and 0 <= int(answer) <= len(options):
            return options[int(answer) - 1] if int(answer) else None
        print(f"  Type a number from 0 to {len(options)}.", file=sys.stderr)


def exports(choice: Choice) -> list[str]:
    """The settings run.sh exports so infra/stack.py and the generator use this model."""
    return [
        f"export LLM_BASE_URL={shlex.quote(choice.server.base_url)}",
        f"export LLM_BACKEND={shlex.quote(choice.server.backend)}",
        f"export AIMED_GENERATOR_LLM_MODEL={shlex.quote(choice.model)}",
    ]


def found_report(
    found: Sequence[FoundServer],
    skipped: Sequence[Skipped],
    servers: Sequence[tuple[str, int]] = KNOWN_SERVERS,
) -> list[str]:
    """What the learner reads about the servers: each one found with its models, each skipped with why."""
    lines = [f"  Found {s.name} at {s.base_url}: {', '.join(s.models)}" for s in found]
    lines += [f"  Skipped {s.name} at {s.base_url}: {s.reason}" for s in skipped]
    if not found:
        lines.append("  No model server found on ports " + ", ".join(str(p) for _, p in servers) + ".")
    return lines


def choice_report(choice: Choice | None) -> list[str]:
    """Which model is used and how to change it; a tiny model is said to be one."""
    if choice is None:
        return [
            f"  Model: the tiny demo model ({DEMO_MODEL_HINT}). Its cards nearly all fail the grounding"
            " gate; the demo's example cards show what good ones look like.",
            "  To use your own: start Ollama, LM Studio or llama-server and run `make run` again,"
            " or MODEL_PATH=/path/model.gguf make run.",
        ]
    lines = [f"  Model: {choice.model} ({choice.server.name}, {choice.server.base_url})."]
    if is_tiny(choice.model):
        lines.append("  This is a tiny model: expect most of its cards to fail the grounding gate.")
    lines.append(
        "  To change it: AIMED_MODEL=<name> make run (AIMED_MODEL=demo for the demo model);"
        " `make stop` first if it is running."
    )
    return lines


def parse_ports(text: str) -> tuple[tuple[str, int], ...]:
    """`--ports 11434,my-server:8090` → (("server", 11434), ("my-server", 8090))."""
    servers = []
    for part in text.split(","):
        name, _, port = part.strip().rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise argparse.ArgumentTypeError(f"{part!r} is not a port (1-65535) or name:port")
        servers.append((name or "server", int(port)))
    return tuple(servers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.model_probe", description=__doc__)
    parser.add_argument(
        "--ports",
        type=parse_ports,
        default=None,
        help="comma-separated ports to probe instead of 11434,1234,8080,8081 (name:port or port)",
    )
    parser.add_argument("--timeout", type=float, default=0.5, help="seconds per request (default 0.5)")
    args = parser.parse_args(argv)
    env = os.environ
    if env.get("MODEL_PATH") or env.get("LLM_BASE_URL"):
        print(
            "  Model: the one MODEL_PATH / LLM_BASE_URL names (no search for other servers).", file=sys.stderr
        )
        return 0
    servers = args.ports or KNOWN_SERVERS
    found, skipped = probe(servers, timeout_s=args.timeout)
    print("\n".join(found_report(found, skipped, servers)), file=sys.stderr)
    proxy_port = env.get("AIMED_PROXY_PORT") or "8080"
    if any(s.base_url.endswith(f":{proxy_port}") for s in [*found, *skipped]):
        # AI-Med's own proxy listens there by default: the stack would not start.
        print(
            f"  Port {proxy_port} is taken (see above) and AI-Med's page needs a port of its own:"
            " AIMED_PROXY_PORT=8090 make run",
            file=sys.stderr,
        )
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    try:
        choice = choose(found, env.get("AIMED_MODEL"), ask_on_terminal if interactive else None)
    except ProbeError as exc:
        print(f"model: {exc}", file=sys.stderr)
        return 1
    print("\n".join(choice_report(choice)), file=sys.stderr)
    if choice is not None:
        print("\n".join(exports(choice)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
