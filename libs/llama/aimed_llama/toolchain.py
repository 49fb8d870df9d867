"""Where the pinned llama.cpp toolchain and the demo model live.

infra/llama/build.sh builds the binaries once into ~/.cache/aimed/llama.cpp-<version>/bin and
keeps the vendored sources (convert_hf_to_gguf.py, gguf-py/) beside them in src/;
infra/llama/fetch_model.sh extracts the demo GGUF into models/. `AIMED_LLAMA_BIN`,
`AIMED_LLAMA_SRC` and `AIMED_DEMO_MODEL` point elsewhere (the GPU image, Colab, CI caches).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


class ToolchainError(RuntimeError):
    """The llama.cpp toolchain or the demo model is missing; the message says how to get it."""


def _script_output(script: str, missing: str) -> Path:
    """The path a repository script prints last (build.sh, fetch_model.sh)."""
    path = REPO / script
    if not path.is_file():
        raise ToolchainError(missing)
    done = subprocess.run(["bash", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ToolchainError(f"{script} failed:\n{done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def llama_bin() -> Path:
    """The folder with llama-server and llama-quantize (built on first use)."""
    env = os.environ.get("AIMED_LLAMA_BIN")
    folder = (
        Path(env)
        if env
        else _script_output(
            "infra/llama/build.sh",
            "llama.cpp binaries not found: set AIMED_LLAMA_BIN to the folder with llama-server",
        )
    )
    for name in ("llama-server", "llama-quantize"):
        if not (folder / name).is_file():
            raise ToolchainError(
                f"{folder / name} is missing: run `bash infra/llama/build.sh` or fix AIMED_LLAMA_BIN"
            )
    return folder


def llama_src() -> Path:
    """The llama.cpp sources of the same version: convert_hf_to_gguf.py and gguf-py/."""
    env = os.environ.get("AIMED_LLAMA_SRC")
    folder = Path(env) if env else llama_bin().parent / "src"
    if not (folder / "convert_hf_to_gguf.py").is_file() or not (folder / "gguf-py").is_dir():
        raise ToolchainError(
            f"{folder} has no convert_hf_to_gguf.py and gguf-py/: run `bash infra/llama/build.sh` "
            "or set AIMED_LLAMA_SRC to a llama.cpp source tree of the same version"
        )
    return folder


def demo_model() -> Path:
    """The demo GGUF (extracted into models/ on first use)."""
    env = os.environ.get("AIMED_DEMO_MODEL")
    if env:
        return Path(env)
    return _script_output(
        "infra/llama/fetch_model.sh", "the demo model is not found: set AIMED_DEMO_MODEL to a .gguf file"
    )
