"""What a caller may count about card generation: a hook, so this package needs no metrics library.

The generator service passes its Prometheus counters; training and tests pass nothing
(`NoMetrics`) or a recorder.
"""

from __future__ import annotations

from typing import Literal, Protocol, TypeAlias

# An attempt is `valid`, `ungrounded` (a card that fails the gate) or `invalid` (no card).
AttemptOutcome: TypeAlias = Literal["valid", "ungrounded", "invalid"]


class GenerationMetrics(Protocol):
    def count_attempt(
        self, *, prompt_tokens: int, completion_tokens: int, outcome: AttemptOutcome, retry: bool
    ) -> None:
        """One answer of the model server; `retry` when it is not the request's first."""
        ...

    def count_card(self, kind: str, *, grounded: bool) -> None:
        """One card returned (under policy `flag` it may fail the gate)."""
        ...

    def count_refusal(self, error_type: str) -> None:
        """One request answered with an error (the envelope's `type`)."""
        ...


class NoMetrics:
    """Counts nothing."""

    def count_attempt(
        self, *, prompt_tokens: int, completion_tokens: int, outcome: AttemptOutcome, retry: bool
    ) -> None:
        return None

    def count_card(self, kind: str, *, grounded: bool) -> None:
        return None

    def count_refusal(self, error_type: str) -> None:
        return None
