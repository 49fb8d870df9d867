"""Talking to the model server: llama-server (default) or any OpenAI-compatible one.

Both speak `POST /v1/chat/completions` with `response_format: json_schema`. Only
llama-server can also tell us its context window per slot, its slot count (`/props`)
and count tokens with the model's own tokenizer (`/apply-template` + `/tokenize`);
for other servers those come from configuration and a documented estimate.

Every transport failure becomes a typed error here, so no httpx exception ever
reaches a route: unreachable → `model_unavailable`, too slow → `upstream_timeout`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import httpx

from aimed_cardgen.errors import (
    ContextTooLarge,
    ModelTimeout,
    ModelUnavailable,
    NotAnApiAnswer,
    UpstreamError,
)
from aimed_cardgen.streaming import StreamedChat, TokenProgress, following
from aimed_contracts.errors import ServiceError

# The estimate for servers without a tokenizer endpoint. Llama-3/Qwen/SmolLM BPE
# vocabularies average 3.5-4.5 characters per token on Spanish clinical prose; 3 errs
# on the safe side, so a budget built on it never overflows the real window.
ESTIMATE_CHARS_PER_TOKEN = 3.0
# Role markers and separators the chat template adds around each message.
ESTIMATE_TOKENS_PER_MESSAGE = 8

Messages = list[dict[str, str]]


class BackendKind(StrEnum):
    llama_server = "llama_server"
    openai = "openai"


@dataclass(frozen=True)
class ModelServerConfig:
    """Where the model server is and how to talk to it; plain values, read from nowhere."""

    base_url: str = "http://127.0.0.1:8088"
    # `llama_server`: tokenizer, context size and slots read from the server; `openai`: any
    # OpenAI-compatible server (LM Studio, Ollama), with `context_window` and `slots` as given.
    backend: BackendKind = BackendKind.llama_server
    # Model name sent to the server; None: the first model the server lists.
    model: str | None = None
    api_key: str | None = None
    request_timeout_s: float = 120.0
    connect_timeout_s: float = 3.0
    context_window: int = 4096
    slots: int = 1
    # llama-server's DRY repetition penalty (0 turns it off): a small model caught in a loop
    # ("2017_2017_2017…") otherwise writes until max_tokens and leaves no JSON. Not sent to
    # `openai` servers.
    dry_multiplier: float = 0.8
    dry_allowed_length: int = 2


@dataclass(frozen=True)
class ServerInfo:
    model_id: str
    n_ctx_slot: int
    slots: int
    exact_token_counts: bool

    def health(self, slots_idle: int | None) -> dict[str, Any]:
        """What a backend's `health()` answers once the server has told us this much."""
        return {
            "model_loaded": True,
            "model_id": self.model_id,
            "n_ctx_slot": self.n_ctx_slot,
            "slots": self.slots,
            "slots_idle": slots_idle,
        }


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion: what the model reads and how it samples its answer."""

    messages: Messages
    # The JSON schema the answer is constrained to (`response_format`); None: free text.
    schema: dict[str, Any] | None
    # Names the schema for the server, and the completion for a progress follower.
    schema_name: str
    seed: int
    max_tokens: int
    temperature: float
    # The llama-server slot that holds this prompt's prefix (slots.py); None: any slot.
    slot: int | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    prompt_ms: float | None
    generation_ms: float
    tokens_per_s: float
    model_id: str
    # Prompt tokens the server reused from its cache (llama-server's `timings.cache_n`,
    # OpenAI's `usage.prompt_tokens_details.cached_tokens`); None when it does not say.
    cached_tokens: int | None = None


class ModelBackend(Protocol):
    kind: BackendKind
    base_url: str

    async def info(self, *, refresh: bool = False) -> ServerInfo: ...

    async def health(self) -> dict[str, Any]: ...

    async def count_tokens(self, text: str) -> int: ...

    async def count_prompt_tokens(self, messages: Messages) -> int: ...

    async def complete(self, request: CompletionRequest) -> Completion: ...


# How llama-server (`type`) and OpenAI-style servers (`code`) say "prompt too long".
CONTEXT_OVERFLOW_CODES = {"exceed_context_size_error", "context_length_exceeded"}


def _upstream_error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return {"message": str(body)[:300]}


def _upstream_message(response: httpx.Response) -> str:
    return str(_upstream_error(response).get("message", ""))[:300]


def _answer(response: httpx.Response, *keys: str | int) -> Any:
    """The JSON body of a 2xx answer, or the value at `keys` inside it.

    A server that answers 200 with something else (an HTML page, a proxy's text, another
    API's shape) is an upstream fault, never a crash of ours.
    """
    try:
        value: Any = response.json()
        for key in keys:
            value = value[key]
    except (ValueError, KeyError, IndexError, TypeError):
        where = "".join(f"[{key!r}]" for key in keys) or "a JSON document"
        raise NotAnApiAnswer(
            f"The model server's answer to {response.request.url.path} is not what an OpenAI-compatible "
            f"server sends (expected {where}).",
            detail={"url": str(response.request.url), "answer": response.text[:300]},
        ) from None
    return value


class OpenAICompatibleBackend:
    """Any server with the OpenAI chat API (LM Studio, Ollama, vLLM, llama-server)."""

    kind = BackendKind.openai

    def __init__(self, client: httpx.AsyncClient, config: ModelServerConfig) -> None:
        self.client = client
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self._info: ServerInfo | None = None

    async def _call(self, method: str, path: str, *, timeout_s: float, **kwargs: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            # httpx's read timeout restarts on every byte; this bounds the whole call.
            async with asyncio.timeout(timeout_s):
                response = await self.client.request(method, url, **kwargs)
        except (TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            raise ModelTimeout(
                f"The model server at {self.base_url} did not answer {path} within {timeout_s:g} s.",
                detail={"url": url, "timeout_s": timeout_s},
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise ModelUnavailable(
                f"The model server at {self.base_url} is unreachable ({type(exc).__name__}); "
                "start it (make llama-start) or fix AIMED_GENERATOR_LLM_BASE_URL.",
                detail={"url": url},
            ) from None
        except httpx.HTTPError as exc:
            raise ModelUnavailable(
                f"Talking to the model server at {self.base_url} failed ({type(exc).__name__}).",
                detail={"url": url},
            ) from None
        self._check_status(response, path)
        return response

    def _check_status(self, response: httpx.Response, path: str) -> None:
        """The model server's refusals as typed errors (a streamed answer's too, once read)."""
        url = f"{self.base_url}{path}"
        if response.status_code == 503:
            raise ModelUnavailable(
                f"The model server at {self.base_url} is not ready: {_upstream_message(response)}",
                detail={"url": url, "status": 503},
            )
        if response.status_code == 400:
            error = _upstream_error(response)
            if {error.get("type"), error.get("code")} & CONTEXT_OVERFLOW_CODES:
                raise ContextTooLarge(
                    f"The model server refused the prompt as too long: {_upstream_message(response)}",
                    detail={"url": url, "upstream": error},
                )
        if response.status_code >= 400:
            raise UpstreamError(
                f"The model server answered {response.status_code} to {path}: {_upstream_message(response)}",
                detail={"url": url, "status": response.status_code},
            )

    async def _model_id(self) -> str:
        if self.config.model:
            return self.config.model
        response = await self._call("GET", "/v1/models", timeout_s=self.config.connect_timeout_s * 2)
        if not _answer(response, "data"):
            raise ModelUnavailable(
                f"The model server at {self.base_url} lists no model; "
                "load one or set AIMED_GENERATOR_LLM_MODEL."
            )
        return str(_answer(response, "data", 0, "id"))

    async def info(self, *, refresh: bool = False) -> ServerInfo:
        if self._info is None or refresh:
            self._info = ServerInfo(
                model_id=await self._model_id(),
                n_ctx_slot=self.config.context_window,
                slots=self.config.slots,
                exact_token_counts=False,
            )
        return self._info

    async def health(self) -> dict[str, Any]:
        info = await self.info(refresh=True)
        return info.health(slots_idle=None)

    async def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / ESTIMATE_CHARS_PER_TOKEN)

    async def count_prompt_tokens(self, messages: Messages) -> int:
        counts = [await self.count_tokens(m["content"]) for m in messages]
        return sum(counts) + ESTIMATE_TOKENS_PER_MESSAGE * (len(messages) + 1)

    def _completion_body(self, model_id: str, request: CompletionRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model_id,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "stream": False,
        }
        if request.schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
            }
        return body

    async def complete(self, request: CompletionRequest) -> Completion:
        info = await self.info()
        body = self._completion_body(info.model_id, request)
        start = time.perf_counter()
        progress = following(request.schema_name)
        if progress is not None:
            # Someone waits for this card: stream it, so its tokens can be counted as they come.
            progress.begin_attempt(request.max_tokens)
            payload = await self._stream_chat(body, progress)
        else:
            response = await self._call(
                "POST", "/v1/chat/completions", json=body, timeout_s=self.config.request_timeout_s
            )
            payload = _answer(response)
        wall_ms = (time.perf_counter() - start) * 1000
        return self._parse_completion(payload, wall_ms, info.model_id)

    async def _stream_chat(self, body: dict[str, Any], progress: TokenProgress) -> dict[str, Any]:
        """`stream: true`: reads the server-sent events into the answer a plain call would give."""
        path = "/v1/chat/completions"
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        streamed = StreamedChat(progress)
        timeout_s = self.config.request_timeout_s
        try:
            async with (
                asyncio.timeout(timeout_s),
                # llama-server closes a connection after streaming on it: pooled again, it would
                # fail the next call (RemoteProtocolError), so this one is never pooled.
                self.client.stream(
                    "POST", f"{self.base_url}{path}", json=body, headers={"Connection": "close"}
                ) as response,
            ):
                if response.status_code != 200:
                    await response.aread()
                    self._check_status(response, path)
                async for line in response.aiter_lines():
                    streamed.feed_line(line)
        except (TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            raise ModelTimeout(
                f"The model server at {self.base_url} did not finish {path} within {timeout_s:g} s.",
                detail={"url": f"{self.base_url}{path}", "timeout_s": timeout_s},
            ) from None
        except httpx.HTTPError as exc:
            raise ModelUnavailable(
                f"The model server at {self.base_url} is unreachable ({type(exc).__name__}); "
                "start it (make llama-start) or fix AIMED_GENERATOR_LLM_BASE_URL.",
                detail={"url": f"{self.base_url}{path}"},
            ) from None
        return streamed.answer()

    def _parse_completion(self, payload: dict[str, Any], wall_ms: float, model_id: str) -> Completion:
        try:
            choice = payload["choices"][0]
            text = choice["message"].get("content") or ""
            finish_reason = str(choice.get("finish_reason") or "unknown")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise NotAnApiAnswer(
                "The model server's answer has no choices[0].message; is it OpenAI-compatible?",
                detail={"answer": str(payload)[:300]},
            ) from None
        usage = payload.get("usage") or {}
        completion_tokens = int(usage.get("completion_tokens") or 0)
        timings = payload.get("timings") or {}
        generation_ms = float(timings.get("predicted_ms") or wall_ms)
        prompt_ms = timings.get("prompt_ms")
        per_s = timings.get("predicted_per_second")
        tokens_per_s = float(per_s) if per_s else completion_tokens / max(generation_ms / 1000, 1e-9)
        cached = timings.get("cache_n")
        if cached is None:
            cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        return Completion(
            text=text,
            finish_reason=finish_reason,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=completion_tokens,
            prompt_ms=float(prompt_ms) if prompt_ms is not None else None,
            generation_ms=generation_ms,
            tokens_per_s=tokens_per_s,
            model_id=str(payload.get("model") or model_id),
            cached_tokens=int(cached) if cached is not None else None,
        )


class LlamaServerBackend(OpenAICompatibleBackend):
    """llama.cpp's llama-server: exact token counts and the real window and slot count."""

    kind = BackendKind.llama_server

    async def info(self, *, refresh: bool = False) -> ServerInfo:
        if self._info is None or refresh:
            props = await self._call("GET", "/props", timeout_s=self.config.connect_timeout_s * 2)
            # /props reports the window of ONE slot (n_ctx / parallel, capped by the model).
            n_ctx_slot = int(_answer(props, "default_generation_settings", "n_ctx"))
            model_id = self.config.model or await self._model_id()
            self._info = ServerInfo(
                model_id=model_id,
                n_ctx_slot=n_ctx_slot,
                slots=int(_answer(props).get("total_slots") or 1),
                exact_token_counts=True,
            )
        return self._info

    def _completion_body(self, model_id: str, request: CompletionRequest) -> dict[str, Any]:
        body = super()._completion_body(model_id, request)
        # Keep the evaluated prompt in the slot (llama-server's default, said explicitly),
        # and send the request to the slot that holds its topic's prompt (slots.py): the
        # next card of the topic starts with the same rules and context.
        body["cache_prompt"] = True
        if request.slot is not None:
            body["id_slot"] = request.slot
        if self.config.dry_multiplier > 0:
            # llama-server's own sampler extension; other OpenAI-style servers may refuse it.
            body["dry_multiplier"] = self.config.dry_multiplier
            body["dry_allowed_length"] = self.config.dry_allowed_length
        return body

    async def health(self) -> dict[str, Any]:
        await self._call("GET", "/health", timeout_s=self.config.connect_timeout_s * 2)
        info = await self.info(refresh=True)
        slots_idle: int | None = None
        try:
            slots = _answer(await self._call("GET", "/slots", timeout_s=self.config.connect_timeout_s * 2))
            slots_idle = sum(1 for slot in slots if not slot.get("is_processing"))
        except ServiceError:
            # /slots can be disabled (--no-slots); the rest of the health still holds.
            pass
        return info.health(slots_idle)

    async def count_tokens(self, text: str) -> int:
        response = await self._call(
            "POST",
            "/tokenize",
            json={"content": text, "add_special": False},
            timeout_s=self.config.request_timeout_s,
        )
        return len(_answer(response, "tokens"))

    async def count_prompt_tokens(self, messages: Messages) -> int:
        # The exact prompt the chat endpoint will evaluate: template applied, BOS included.
        rendered = await self._call(
            "POST", "/apply-template", json={"messages": messages}, timeout_s=self.config.request_timeout_s
        )
        response = await self._call(
            "POST",
            "/tokenize",
            json={"content": _answer(rendered, "prompt"), "add_special": True, "parse_special": True},
            timeout_s=self.config.request_timeout_s,
        )
        return len(_answer(response, "tokens"))


def make_backend(client: httpx.AsyncClient, config: ModelServerConfig) -> ModelBackend:
    if config.backend is BackendKind.llama_server:
        return LlamaServerBackend(client, config)
    return OpenAICompatibleBackend(client, config)


@asynccontextmanager
async def open_backend(config: ModelServerConfig) -> AsyncIterator[ModelBackend]:
    """The backend `config` names, on its own HTTP client (closed on exit)."""
    timeout = httpx.Timeout(config.request_timeout_s, connect=config.connect_timeout_s)
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else None
    async with httpx.AsyncClient(timeout=timeout, headers=headers) as client:
        yield make_backend(client, config)
