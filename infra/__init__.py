"""Local launcher and deployment helpers (infra/stack.py), importable by tests and benchmarks."""
