"""Prometheus metrics of one app instance (own registry, so tests can build many apps).

`GeneratorMetrics` is also the card generator's metrics hook (`aimed_cardgen.GenerationMetrics`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from aimed_cardgen import SlotLimiter
from aimed_cardgen.hooks import AttemptOutcome


class GeneratorMetrics:
    def __init__(self, limiter: SlotLimiter) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aimed_generator_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "aimed_generator_request_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=(0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
            registry=self.registry,
        )
        self.tokens = Counter(
            "aimed_generator_tokens",
            "Tokens spent on the model server, by type (prompt or completion).",
            ["type"],
            registry=self.registry,
        )
        self.attempts = Counter(
            "aimed_generator_attempts",
            "Generation attempts, by outcome (valid, ungrounded, invalid).",
            ["outcome"],
            registry=self.registry,
        )
        self.retries = Counter(
            "aimed_generator_retries",
            "Attempts beyond the first of a request (a card failed and was regenerated).",
            registry=self.registry,
        )
        self.refusals = Counter(
            "aimed_generator_refusals",
            "Card requests answered with an error, by reason (the envelope's error type).",
            ["reason"],
            registry=self.registry,
        )
        self.cards = Counter(
            "aimed_generator_cards",
            "Cards returned, by kind and whether they passed the grounding gate.",
            ["kind", "grounded"],
            registry=self.registry,
        )
        in_flight = Gauge(
            "aimed_generator_in_flight", "Requests holding a model slot.", registry=self.registry
        )
        in_flight.set_function(lambda: limiter.in_flight)
        queued = Gauge("aimed_generator_queued", "Requests waiting for a slot.", registry=self.registry)
        queued.set_function(lambda: limiter.waiting)

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
