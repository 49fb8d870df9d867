"""Card generation over an OpenAI-compatible model server (llama-server by default).

Open a generator with `open_generator(CardGeneratorConfig(...))`, then
`await generator.generate(task, GenerationOptions(...))`. No web framework, no metrics
library, no environment: callers pass plain values and, if they want, hooks.
"""

from aimed_cardgen.admission import Admission, SlotLimiter
from aimed_cardgen.factory import CardGeneratorConfig, open_generator
from aimed_cardgen.generator import CardGenerator, Drafts, GenerationOptions
from aimed_cardgen.hooks import GenerationMetrics, NoMetrics
from aimed_cardgen.model_server import BackendKind, ModelServerConfig
from aimed_cardgen.results import CardResult, Policy

__all__ = [
    "Admission",
    "BackendKind",
    "CardGenerator",
    "CardGeneratorConfig",
    "CardResult",
    "Drafts",
    "GenerationMetrics",
    "GenerationOptions",
    "ModelServerConfig",
    "NoMetrics",
    "Policy",
    "SlotLimiter",
    "open_generator",
]
