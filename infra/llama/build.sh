#!/usr/bin/env bash
# Builds llama-server and llama-quantize from the llama.cpp tree vendored in the pinned
# llama-cpp-python sdist, once, into a cache outside git. Prints the bin folder.
# Rebuilds only when the pin changes (the cache folder is keyed by the version).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${AIMED_CACHE:-$HOME/.cache/aimed}"
root="$cache/llama.cpp-$LLAMA_CPP_PYTHON_VERSION-$LLAMA_BUILD_RECIPE"
bin="$root/bin"
if [[ -x "$bin/llama-server" && -x "$bin/llama-quantize" && -f "$root/src/convert_hf_to_gguf.py" ]]; then
  echo "$bin"
  exit 0
fi
python="${PYTHON:-python3}"
mkdir -p "$root/download"
log() { echo "[llama-build] $*" >&2; }
if [[ ! -f "$root/src/CMakeLists.txt" ]]; then
  log "downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION sdist from PyPI"
  "$python" -m pip download --quiet --no-deps --no-binary :all: \
    "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$root/download" >&2
  log "unpacking vendored llama.cpp ($LLAMA_CPP_COMMIT)"
  rm -rf "$root/src" "$root/unpack" && mkdir -p "$root/unpack"
  tar -xzf "$root/download/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz" -C "$root/unpack" \
    "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  mv "$root/unpack/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp" "$root/src"
  rm -rf "$root/unpack" "$root/download"
fi
command -v cmake >/dev/null || { log "cmake is missing: install it (apt-get install cmake / brew install cmake)"; exit 1; }
# -march=native turns on the AMX kernels wherever the CPU has AMX; where the kernel or sandbox
# does not really grant AMX tiles, llama-server dies loading any model (see versions.env).
# An explicit -mno-* wins over -march=native in GCC and Clang whatever the order.
no_amx=""
if [[ "$(uname -m)" == x86_64 ]]; then no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"; fi
jobs="$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)"
log "configuring (Release, no curl) and building llama-server, llama-quantize with $jobs jobs; ~5 min on 2 cores"
cmake -S "$root/src" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_C_FLAGS="$no_amx" -DCMAKE_CXX_FLAGS="$no_amx" >&2
cmake --build "$root/build" --config Release -j "$jobs" --target llama-server llama-quantize >&2
mkdir -p "$bin"
cp "$root/build/bin/llama-server" "$root/build/bin/llama-quantize" "$bin/"
rm -rf "$root/build"
log "built into $bin"
echo "$bin"
