"""`make llama-start` / `make llama-stop`: one llama-server on MODEL_PATH (default: the demo GGUF).

aimed_llama's launcher, detached, at LLAMA_PORT (8088) with LLAMA_CTX_SIZE (8192),
LLAMA_PARALLEL (2) and LLAMA_THREADS (2); its pid and log live in var/ (git-ignored), one
pair per port, so `stop` and `status` work from another shell.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

import httpx

from aimed_llama.processes import pid_alive, read_pid
from aimed_llama.server import LlamaServer, LlamaServerError
from aimed_llama.toolchain import demo_model

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.llama.serve", description=__doc__)
    parser.add_argument("command", choices=("start", "stop", "status"))
    args = parser.parse_args(argv)
    env = os.environ
    port = int(env.get("LLAMA_PORT") or 8088)
    pid_file = REPO / "var" / "run" / f"llama-{port}.pid"
    pid = read_pid(pid_file)
    running = pid is not None and pid_alive(pid)
    if args.command == "stop":
        if pid is not None and running:
            os.kill(pid, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
        print(f"stopped llama-server on :{port}" if running else f"no llama-server recorded on :{port}")
        return 0
    if args.command == "status":
        try:
            print(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0).text)
        except httpx.HTTPError as exc:
            print(f"llama-server on :{port} does not answer: {exc}", file=sys.stderr)
            return 1
        return 0
    if running:
        print(f"llama-server already running on :{port} (pid {pid})")
        return 0
    model = Path(env["MODEL_PATH"]) if env.get("MODEL_PATH") else demo_model()
    server = LlamaServer(
        model,
        log_path=REPO / "var" / "log" / f"llama-{port}.log",
        port=port,
        ctx_size=int(env.get("LLAMA_CTX_SIZE") or 8192),
        parallel=int(env.get("LLAMA_PARALLEL") or 2),
        threads=int(env.get("LLAMA_THREADS") or 2),
    )
    try:
        server.start(timeout_s=60.0, detach=True)
    except (FileNotFoundError, LlamaServerError, TimeoutError) as exc:
        print(f"llama-server: {exc}", file=sys.stderr)
        return 1
    assert server.process is not None
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{server.process.pid}\n")
    print(f"llama-server ready on {server.url} ({model.name}); log: {server.log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
