"""Settings of the generator, read from `AIMED_GENERATOR_*` environment variables.

Only the service reads them; the card-generation library (`aimed_cardgen`) gets plain
values from `generator_config()` and, per request, `CardRequest.generation_options`.
Defaults are the library's.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from aimed_cardgen import BackendKind, CardGeneratorConfig, GenerationOptions, ModelServerConfig, Policy
from aimed_servicekit.internal_token import internal_token_setting

_SERVER = ModelServerConfig()
_GENERATOR = CardGeneratorConfig()
_OPTIONS = GenerationOptions()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMED_GENERATOR_", extra="ignore", populate_by_name=True)

    llm_base_url: str = Field(
        default=_SERVER.base_url,
        # Compose files and LM Studio/Ollama guides name it without our prefix.
        validation_alias=AliasChoices("AIMED_GENERATOR_LLM_BASE_URL", "LLM_BASE_URL"),
        description="Base URL of the model server (without /v1).",
    )
    llm_backend: BackendKind = Field(
        default=_SERVER.backend,
        description="`llama_server` (tokenizer, context size and slots read from the server) "
        "or `openai` (any OpenAI-compatible server: LM Studio, Ollama).",
    )
    llm_model: str | None = Field(
        default=None,
        description="Model name sent to the server; empty: the first model the server lists.",
    )
    llm_api_key: str | None = Field(default=None, description="Bearer token for the model server, if any.")
    policy: Policy = Field(
        default=_OPTIONS.policy,
        description="Default for requests that name none: `strict` refuses ungrounded cards, "
        "`flag` returns them with their grounding report.",
    )
    max_attempts: int = Field(
        default=_OPTIONS.attempts, ge=1, le=10, description="Generations per request before refusing."
    )
    # Why 1280: aimed_cardgen.generator.GenerationOptions.
    max_tokens: int = Field(
        default=_OPTIONS.max_tokens, ge=16, le=8192, description="Default completion budget per attempt."
    )
    temperature: float = Field(
        default=_GENERATOR.temperature,
        ge=0.0,
        le=2.0,
        description="Sampling temperature; each retry changes the seed, not this.",
    )
    dry_multiplier: float = Field(
        default=_SERVER.dry_multiplier,
        ge=0.0,
        le=5.0,
        description="llama-server's DRY repetition penalty (0 turns it off). A small model "
        'caught in a loop ("2017_2017_2017…") otherwise writes until max_tokens and leaves no '
        "JSON; 0.8 is DRY's recommended strength. Not sent to the `openai` backend.",
    )
    dry_allowed_length: int = Field(
        default=_SERVER.dry_allowed_length,
        ge=1,
        description="Longest repeated token sequence DRY lets pass unpenalised.",
    )
    max_queue: int = Field(
        default=_GENERATOR.max_queue,
        ge=0,
        description="Requests allowed to wait for a free slot; beyond that: 503 busy.",
    )
    queue_timeout_s: float = Field(
        default=_GENERATOR.queue_timeout_s, gt=0, description="Longest wait for a free slot before 503 busy."
    )
    request_timeout_s: float = Field(
        default=_SERVER.request_timeout_s,
        gt=0,
        description="Longest wait for one answer of the model server before 504.",
    )
    connect_timeout_s: float = Field(
        default=_SERVER.connect_timeout_s,
        gt=0,
        description="Longest wait to connect to the model server before 503 model_unavailable.",
    )
    context_window: int = Field(
        default=_SERVER.context_window,
        ge=256,
        description="Tokens per request for the `openai` backend (llama-server reports its own).",
    )
    llm_slots: int = Field(
        default=_SERVER.slots,
        ge=1,
        description="Parallel requests the model server takes for the `openai` backend "
        "(llama-server reports its own).",
    )
    prompt_margin_tokens: int = Field(
        default=_GENERATOR.prompt_margin_tokens,
        ge=0,
        description="Tokens kept free besides prompt and output, for template drift.",
    )
    judge: bool = Field(
        default=False,
        description="`on`: every card that passes the gate is also judged claim by claim by a model "
        "(docs/cards.md, 'The judge'); off by default, and off with the demo model.",
    )
    judge_base_url: str | None = Field(
        default=None, description="Base URL of the judge's server (without /v1); empty: the generator's."
    )
    judge_backend: BackendKind | None = Field(
        default=None, description="Kind of the judge's server; empty: the generator's `llm_backend`."
    )
    judge_model: str | None = Field(
        default=None, description="Model name sent to the judge; empty: the first model its server lists."
    )
    judge_api_key: str | None = Field(
        default=None, description="Bearer token for a separate judge server, if it needs one."
    )
    judge_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait for the judge's answer on one claim; past it the card carries "
        "`judge_unavailable` and does not pass.",
    )
    log_level: str = Field(default="INFO", description="Python logging level of the service.")
    internal_token: SecretStr | None = internal_token_setting("AIMED_GENERATOR_INTERNAL_TOKEN")

    def model_server(self) -> ModelServerConfig:
        return ModelServerConfig(
            base_url=self.llm_base_url,
            backend=self.llm_backend,
            model=self.llm_model,
            api_key=self.llm_api_key,
            request_timeout_s=self.request_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
            context_window=self.context_window,
            slots=self.llm_slots,
            dry_multiplier=self.dry_multiplier,
            dry_allowed_length=self.dry_allowed_length,
        )

    def judge_server(self) -> ModelServerConfig | None:
        """The claim judge's server (None when the judge is off): the generator's, unless
        `judge_base_url` names another, with the judge's own timeout."""
        if not self.judge:
            return None
        separate = self.judge_base_url is not None
        return replace(
            self.model_server(),
            base_url=self.judge_base_url or self.llm_base_url,
            backend=self.judge_backend or self.llm_backend,
            model=self.judge_model or (None if separate else self.llm_model),
            api_key=self.judge_api_key if separate else self.llm_api_key,
            request_timeout_s=self.judge_timeout_s,
        )

    def generator_config(self) -> CardGeneratorConfig:
        return CardGeneratorConfig(
            server=self.model_server(),
            judge=self.judge_server(),
            temperature=self.temperature,
            prompt_margin_tokens=self.prompt_margin_tokens,
            max_queue=self.max_queue,
            queue_timeout_s=self.queue_timeout_s,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
