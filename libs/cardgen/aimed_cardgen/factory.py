"""The one way to open a card generator: backend, admission, metrics and judge wired once.

The generator service, training's eval and dataset builder, and the tests all call
`open_generator`; what differs between them is plain values (`CardGeneratorConfig`) and
the hooks they pass (the service's slot limiter and Prometheus counters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from aimed_cardgen.admission import Admission, SlotLimiter
from aimed_cardgen.claim_judge import open_claim_judge
from aimed_cardgen.generator import CardGenerator
from aimed_cardgen.hooks import GenerationMetrics, NoMetrics
from aimed_cardgen.model_server import ModelBackend, ModelServerConfig, open_backend


@dataclass(frozen=True)
class CardGeneratorConfig:
    """Everything a card generator is opened with; defaults are the generator service's."""

    server: ModelServerConfig = field(default_factory=ModelServerConfig)
    # The claim judge's server (None: no judge); its `request_timeout_s` bounds one verdict.
    judge: ModelServerConfig | None = None
    # Sampling temperature; each retry changes the seed, not this.
    temperature: float = 0.6
    # Tokens kept free besides prompt and output, for template drift.
    prompt_margin_tokens: int = 32
    # The admission made when the caller passes none: requests beyond the server's slots
    # wait here, at most `max_queue` of them, each at most `queue_timeout_s`; then 503 busy.
    max_queue: int = 8
    queue_timeout_s: float = 30.0


@asynccontextmanager
async def open_generator(
    config: CardGeneratorConfig,
    *,
    backend: ModelBackend | None = None,
    admission: Admission | None = None,
    metrics: GenerationMetrics | None = None,
) -> AsyncIterator[CardGenerator]:
    """A card generator on `config.server` (or on `backend`, e.g. a test's fake); its HTTP
    clients close on exit."""
    async with AsyncExitStack() as stack:
        if backend is None:
            backend = await stack.enter_async_context(open_backend(config.server))
        claim_judge = await stack.enter_async_context(open_claim_judge(config.judge))
        if admission is None:
            # Sized to the server's slots on the first request (llama-server reports its own).
            admission = SlotLimiter(config.server.slots, config.max_queue, config.queue_timeout_s)
        yield CardGenerator(
            backend,
            admission,
            metrics or NoMetrics(),
            temperature=config.temperature,
            prompt_margin_tokens=config.prompt_margin_tokens,
            claim_judge=claim_judge,
        )
