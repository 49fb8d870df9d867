"""Context budget: passages, BM25 ranking, and fitting the window (fake tokenizer)."""

from __future__ import annotations

import pytest

from aimed_cardgen.context_budget import fit_prompt, rank_passages, split_passages
from aimed_cardgen.errors import ContextTooLarge
from aimed_contracts.prompts import GenerationTask, build_messages
from tests.generator.fakes import FakeBackend, words

pytestmark = pytest.mark.anyio

RELEVANT = [
    "La hipoglucemia se define por una glucemia menor de 70 mg/dL con síntomas.",
    "El tratamiento de la hipoglucemia consciente es la glucosa oral 15 g, repetida a los 15 minutos.",
]
UNRELATED = [
    "La fractura de cadera del anciano se opera en las primeras 48 horas.",
    "La profilaxis antitrombótica tras la cirugía ortopédica dura 35 días.",
    "La rehabilitación precoz reduce la estancia hospitalaria tras la artroplastia.",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _task(*contexts: str, topic: str = "Tratamiento de la hipoglucemia") -> GenerationTask:
    return GenerationTask(task="drill", topic=topic, contexts=list(contexts), level=1)


def test_split_keeps_paragraphs_and_cuts_long_ones_between_sentences() -> None:
    long_paragraph = " ".join(
        f"Frase número {i} del párrafo largo, con algo de texto de relleno." for i in range(30)
    )
    text = f"{RELEVANT[0]}\n\n{long_paragraph}\n  \n{UNRELATED[0]}"
    passages = split_passages(text, max_chars=200)
    assert passages[0] == RELEVANT[0]
    assert passages[-1] == UNRELATED[0]
    middle = passages[1:-1]
    assert len(middle) > 1
    assert all(len(p) <= 200 for p in middle)
    assert " ".join(middle) == long_paragraph  # nothing lost, nothing rewritten
    assert all(p.endswith(".") for p in middle)


def test_ranking_puts_the_topic_first_and_ignores_accents() -> None:
    passages = [*UNRELATED, *RELEVANT]
    order = rank_passages(passages, "tratamiento hipoglucemia")
    assert set(order[:2]) == {3, 4}
    assert rank_passages(passages, "fractura cadera")[0] == 0
    assert rank_passages(passages, "CIRUGIA ORTOPEDICA")[0] == 1


def test_ranking_with_no_match_keeps_text_order() -> None:
    assert rank_passages(UNRELATED, "zzzz") == [0, 1, 2]


async def test_contexts_that_fit_go_whole() -> None:
    task = _task("\n\n".join(RELEVANT + UNRELATED))
    fitted = await fit_prompt(task, FakeBackend(), n_ctx_slot=8192, max_tokens=500, margin_tokens=32)
    assert fitted.task == task
    assert fitted.passages_by_context == {0: None}
    assert fitted.budget.selected is False
    assert fitted.messages == build_messages(task)


async def test_contexts_that_do_not_fit_keep_the_most_relevant_passages_in_order() -> None:
    backend = FakeBackend()
    first = "\n\n".join([UNRELATED[0], RELEVANT[0], UNRELATED[1]])
    second = "\n\n".join([UNRELATED[2], RELEVANT[1]])
    task = _task(first, second)
    bare = await backend.count_prompt_tokens(build_messages(_task("-")))
    room = sum(words(p) for p in RELEVANT) + 12  # both relevant passages and their headers, no more
    max_tokens, margin = 300, 16
    fitted = await fit_prompt(
        task,
        backend,
        n_ctx_slot=bare + room + max_tokens + margin,
        max_tokens=max_tokens,
        margin_tokens=margin,
    )
    assert fitted.budget.selected is True
    assert fitted.passages_by_context == {0: [1], 1: [1]}
    assert [c.text for c in fitted.task.contexts] == [RELEVANT[0], RELEVANT[1]]
    prompt = fitted.messages[1]["content"]
    assert all(p not in prompt for p in UNRELATED)
    assert fitted.budget.prompt_tokens <= fitted.budget.n_ctx_slot - max_tokens - margin
    assert fitted.budget.passages_total == 5
    assert fitted.budget.passages_used == 2


async def test_an_angle_steers_the_selection() -> None:
    backend = FakeBackend()
    text = "\n\n".join(RELEVANT + UNRELATED)
    task = GenerationTask(
        task="variant",
        topic="Paciente quirúrgico",
        contexts=[text],
        level=1,
        angle={"perspective": "profilaxis antitrombótica"},
    )
    bare = await backend.count_prompt_tokens(
        build_messages(task.model_copy(update={"contexts": _task("-").contexts}))
    )
    fitted = await fit_prompt(
        task, backend, n_ctx_slot=bare + words(UNRELATED[1]) + 8 + 100, max_tokens=100, margin_tokens=0
    )
    assert [c.text for c in fitted.task.contexts] == [UNRELATED[1]]


async def test_no_passage_fits_is_413_with_the_counts() -> None:
    backend = FakeBackend()
    task = _task("\n\n".join(RELEVANT + UNRELATED))
    bare = await backend.count_prompt_tokens(build_messages(_task("-")))
    with pytest.raises(ContextTooLarge) as refused:
        await fit_prompt(task, backend, n_ctx_slot=bare + 5 + 200, max_tokens=200, margin_tokens=0)
    assert refused.value.status_code == 413
    detail = refused.value.detail
    assert detail["available_for_context"] == 5
    assert detail["smallest_passage_tokens"] == min(words(p) for p in RELEVANT + UNRELATED)
    assert detail["n_ctx_slot"] == bare + 205


async def test_a_window_smaller_than_the_bare_prompt_is_413() -> None:
    task = _task("\n\n".join(RELEVANT))
    with pytest.raises(ContextTooLarge, match="without context already takes"):
        await fit_prompt(task, FakeBackend(), n_ctx_slot=600, max_tokens=500, margin_tokens=0)
