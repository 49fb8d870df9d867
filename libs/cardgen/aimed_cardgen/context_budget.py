"""Fitting the contexts into the model's window.

available = window of one slot − prompt without context − max output − margin.
When the whole contexts fit, they go as they are. Otherwise they are split into
passages (paragraphs, long ones cut at sentence ends so every sentence stays
verbatim), ranked by BM25 against the task's topic and angle, and the best passages
that fit are kept, in their original order. Nothing fits → 413 with the counts.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field

import bm25s

from aimed_cardgen.errors import ContextTooLarge
from aimed_cardgen.model_server import Messages, ModelBackend
from aimed_contracts.prompts import ContextPassage, GenerationTask, build_messages

# Long enough for a guideline paragraph, short enough that one passage is a few dozen
# tokens and selection has something to choose from.
MAX_PASSAGE_CHARS = 600
# "\n\n" between passages, and the drift of merging tokens across a join.
JOIN_TOKENS = 2
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class Passage:
    context_index: int
    passage_index: int
    text: str


@dataclass
class Budget:
    n_ctx_slot: int
    max_tokens: int
    margin_tokens: int
    prompt_tokens: int = 0
    prompt_tokens_full: int = 0
    available_for_context: int | None = None
    passages_total: int | None = None
    passages_used: int | None = None
    selected: bool = False

    def as_dict(self) -> dict[str, int | bool | None]:
        return {
            "n_ctx_slot": self.n_ctx_slot,
            "max_tokens": self.max_tokens,
            "margin_tokens": self.margin_tokens,
            "prompt_tokens": self.prompt_tokens,
            "prompt_tokens_full": self.prompt_tokens_full,
            "available_for_context": self.available_for_context,
            "passages_total": self.passages_total,
            "passages_used": self.passages_used,
            "selected": self.selected,
        }


@dataclass
class FittedPrompt:
    task: GenerationTask
    messages: Messages
    budget: Budget
    # Per original context: None when sent whole, else the passage indices kept.
    passages_by_context: dict[int, list[int] | None] = field(default_factory=dict)


def split_passages(text: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Paragraphs of `text`; a paragraph longer than `max_chars` is cut between sentences."""
    passages: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            passages.append(paragraph)
            continue
        current = ""
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            if not sentence:
                continue
            if current and len(current) + 1 + len(sentence) > max_chars:
                passages.append(current)
                current = sentence
            else:
                current = f"{current} {sentence}" if current else sentence
        if current:
            passages.append(current)
    return passages


def _fold(text: str) -> str:
    # "diagnóstico" and "diagnostico" are the same word to a student typing a topic.
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def rank_passages(passages: list[str], query: str) -> list[int]:
    """Indices of `passages`, most relevant to `query` first (BM25; ties keep text order)."""
    if not passages:
        return []
    corpus_tokens = bm25s.tokenize(
        [_fold(p) for p in passages], stopwords="es", show_progress=False, allow_empty=True
    )
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    query_tokens = bm25s.tokenize(_fold(query), stopwords="es", show_progress=False, return_ids=False)[0]
    scores = retriever.get_scores(query_tokens) if query_tokens else [0.0] * len(passages)
    return sorted(range(len(passages)), key=lambda i: (-float(scores[i]), i))


def retrieval_query(task: GenerationTask) -> str:
    parts = [task.topic]
    if task.angle is not None:
        parts.append(task.angle.perspective)
    return " ".join(parts)


def _with_contexts(task: GenerationTask, contexts: list[ContextPassage]) -> GenerationTask:
    return task.model_copy(update={"contexts": contexts})


async def fit_prompt(
    task: GenerationTask,
    backend: ModelBackend,
    *,
    n_ctx_slot: int,
    max_tokens: int,
    margin_tokens: int,
) -> FittedPrompt:
    budget = Budget(n_ctx_slot=n_ctx_slot, max_tokens=max_tokens, margin_tokens=margin_tokens)
    limit = n_ctx_slot - max_tokens - margin_tokens
    messages = build_messages(task)
    budget.prompt_tokens_full = budget.prompt_tokens = await backend.count_prompt_tokens(messages)
    if budget.prompt_tokens <= limit:
        return FittedPrompt(task, messages, budget, {i: None for i in range(len(task.contexts))})

    budget.selected = True
    bare = _with_contexts(task, [ContextPassage(text="-", label=c.label) for c in task.contexts[:1]])
    overhead = await backend.count_prompt_tokens(build_messages(bare))
    available = limit - overhead
    budget.available_for_context = available
    passages = [
        Passage(ci, pi, text)
        for ci, context in enumerate(task.contexts)
        for pi, text in enumerate(split_passages(context.text))
    ]
    budget.passages_total = len(passages)
    counts = await asyncio.gather(*(backend.count_tokens(p.text) for p in passages))
    headers = await asyncio.gather(
        *(backend.count_tokens(f"[{i + 1}] {c.label or ''}") for i, c in enumerate(task.contexts))
    )

    def too_large(why: str) -> ContextTooLarge:
        return ContextTooLarge(
            f"The contexts do not fit the model's window: {why}. Send shorter contexts, "
            "lower max_tokens or use a model server with a larger context.",
            detail={
                **budget.as_dict(),
                "prompt_overhead_tokens": overhead,
                "smallest_passage_tokens": min(counts, default=0),
            },
        )

    if available <= 0:
        raise too_large(
            f"the prompt without context already takes {overhead} tokens of {n_ctx_slot}, "
            f"and {max_tokens} are reserved for the answer"
        )

    order = await asyncio.to_thread(rank_passages, [p.text for p in passages], retrieval_query(task))
    chosen: list[int] = []
    used = 0
    open_contexts: set[int] = set()
    for index in order:
        passage = passages[index]
        cost = counts[index] + JOIN_TOKENS
        if passage.context_index not in open_contexts:
            cost += headers[passage.context_index] + JOIN_TOKENS
        if used + cost <= available:
            chosen.append(index)
            used += cost
            open_contexts.add(passage.context_index)

    # The per-passage sum is an estimate (tokens can merge across joins); the exact
    # count of the final prompt decides, dropping the least relevant passage if needed.
    while chosen:
        fitted_task, by_context = _assemble(task, passages, chosen)
        messages = build_messages(fitted_task)
        budget.prompt_tokens = await backend.count_prompt_tokens(messages)
        if budget.prompt_tokens <= limit:
            budget.passages_used = len(chosen)
            return FittedPrompt(fitted_task, messages, budget, by_context)
        chosen.pop()
    raise too_large(
        f"{available} tokens are left for context and no passage fits "
        f"(the smallest takes {min(counts, default=0)})"
    )


def _assemble(
    task: GenerationTask, passages: list[Passage], chosen: list[int]
) -> tuple[GenerationTask, dict[int, list[int] | None]]:
    """The task with only the chosen passages, each context's in their original order."""
    kept: dict[int, list[Passage]] = {}
    for index in sorted(chosen):
        kept.setdefault(passages[index].context_index, []).append(passages[index])
    contexts = [
        ContextPassage(text="\n\n".join(p.text for p in group), label=task.contexts[ci].label)
        for ci, group in kept.items()
    ]
    return _with_contexts(task, contexts), {
        ci: [p.passage_index for p in group] for ci, group in kept.items()
    }
