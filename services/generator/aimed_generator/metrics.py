"""Prometheus metrics of one app instance (own registry, so tests can build many apps).

`GeneratorMetrics` is also the card generator's metrics hook (`aimed_cardgen.GenerationMetrics`).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from aimed_cardgen import SlotLimiter
from aimed_cardgen.hooks import AttemptOutcome

PREFIX = "aimed_generator_"


class GeneratorMetrics:
    def __init__(self, limiter: SlotLimiter) -> None:
        self.registry = CollectorRegistry()
        self.requests = self._counter(
            "requests",
            "HTTP requests by route template, method and status code.",
            "route",
            "method",
            "status",
        )
        self.latency = Histogram(
            f"{PREFIX}request_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=(0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
            registry=self.registry,
        )
        self.tokens = self._counter(
            "tokens", "Tokens spent on the model server, by type (prompt or completion).", "type"
        )
        self.attempts = self._counter(
            "attempts", "Generation attempts, by outcome (valid, ungrounded, invalid).", "outcome"
        )
        self.retries = self._counter(
            "retries", "Attempts beyond the first of a request (a card failed and was regenerated)."
        )
        self.refusals = self._counter(
            "refusals",
            "Card requests answered with an error, by reason (the envelope's error type).",
            "reason",
        )
        self.cards = self._counter(
            "cards", "Cards returned, by kind and whether they passed the grounding gate.", "kind", "grounded"
        )
        self._gauge("in_flight", "Requests holding a model slot.", lambda: limiter.in_flight)
        self._gauge("queued", "Requests waiting for a slot.", lambda: limiter.waiting)

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(f"{PREFIX}{name}", documentation, labels, registry=self.registry)

    def _gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        Gauge(f"{PREFIX}{name}", documentation, registry=self.registry).set_function(read)

    def count_attempt(
        self, *, prompt_tokens: int, completion_tokens: int, outcome: AttemptOutcome, retry: bool
    ) -> None:
        self.tokens.labels("prompt").inc(prompt_tokens)
        self.tokens.labels("completion").inc(completion_tokens)
        self.attempts.labels(outcome).inc()
        if retry:
            self.retries.inc()

    def count_card(self, kind: str, *, grounded: bool) -> None:
        self.cards.labels(kind, str(grounded).lower()).inc()

    def count_refusal(self, error_type: str) -> None:
        self.refusals.labels(error_type).inc()
