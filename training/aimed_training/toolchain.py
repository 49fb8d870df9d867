"""Where the pinned llama.cpp toolchain lives: llama-server, llama-quantize and the converter sources.

infra/llama/build.sh builds the binaries once into ~/.cache/aimed/llama.cpp-<version>/bin and
keeps the vendored sources (convert_hf_to_gguf.py, gguf-py/) beside them in src/.
`AIMED_LLAMA_BIN` and `AIMED_LLAMA_SRC` point elsewhere (the GPU image, Colab).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class ToolchainError(RuntimeError):
    """The llama.cpp toolchain is missing; the message says how to get it."""


def llama_bin() -> Path:
    env = os.environ.get("AIMED_LLAMA_BIN")
    if env:
        folder = Path(env)
    else:
        script = REPO / "infra/llama/build.sh"
        if not script.is_file():
            raise ToolchainError(
                "llama.cpp binaries not found: set AIMED_LLAMA_BIN to the folder with llama-server"
            )
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ToolchainError(f"infra/llama/build.sh failed:\n{done.stderr[-2000:]}")
        folder = Path(done.stdout.strip().splitlines()[-1])
    for name in ("llama-server", "llama-quantize"):
        if not (folder / name).is_file():
            raise ToolchainError(
                f"{folder / name} is missing: run `bash infra/llama/build.sh` or fix AIMED_LLAMA_BIN"
            )
    return folder


def llama_src() -> Path:
    env = os.environ.get("AIMED_LLAMA_SRC")
    folder = Path(env) if env else llama_bin().parent / "src"
    if not (folder / "convert_hf_to_gguf.py").is_file() or not (folder / "gguf-py").is_dir():
        raise ToolchainError(
            f"{folder} has no convert_hf_to_gguf.py and gguf-py/: run `bash infra/llama/build.sh` "
            "or set AIMED_LLAMA_SRC to a llama.cpp source tree of the same version"
        )
    return folder
