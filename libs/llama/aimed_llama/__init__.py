"""The pinned llama.cpp toolchain and llama-server child processes.

One launcher for every caller that runs llama-server itself: `make run` (infra/stack.py),
training's `eval` (aimed_training.server) and the tests (tests/support/llama.py). No FastAPI,
only httpx, so the training image can use it.
"""
