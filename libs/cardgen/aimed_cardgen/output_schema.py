"""The card schema handed to the model server as `response_format` for one request.

The model server's structured output is a help, not a guarantee: llama-server
answers unconstrained text when it cannot compile a schema (fail-open), LM Studio and
Ollama may ignore parts of one, and any server may cut the JSON at max_tokens. So every
answer is still judged (`verdict.judge`).

The schema makes each `sources` item an enum of the context's sentences, so a server
that honours it can only copy; above a measured cap it falls back to bounded strings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from aimed_contracts.cards import card_json_schema
from aimed_contracts.prompts import GenerationTask
from aimed_contracts.sentences import split_sentences

# JSON Schema cannot tie the number of rationales to the number of options, so under the
# grammar a model may write 5 options and 4 rationales (seen with the demo model). Asking for
# exactly 4 of each keeps the counts equal; the contract (and the gate) still allow 4–5.
MCQ_GENERATED_OPTIONS = 4

# Longest string the model may write in each field, in characters: about 1.5–2× the longest
# of the 120 reviewed gold cards (training/data/gold). A small model that loops inside a
# string ("…y la disnea y la disnea y…") is made to close it here instead of running to
# max_tokens and leaving no JSON at all. Only the generation schema carries these bounds;
# the card contract accepts longer text from other tools.
GENERATED_MAX_CHARS: dict[str, int] = {
    "sources": 400,
    "summary": 600,
    "key_points.text": 350,
    "red_flags": 250,
    "vignette": 700,
    "question": 250,
    "options": 200,
    "option_rationales": 250,
    "explanation": 600,
    "model_answer": 1000,
    "rubric.item": 250,
}


def _bound_strings(node: dict[str, Any], path: str) -> None:
    kind = node.get("type")
    if kind == "string":
        node["maxLength"] = GENERATED_MAX_CHARS[path]
    elif kind == "array":
        _bound_strings(node["items"], path)
    elif kind == "object":
        for name, child in node["properties"].items():
            _bound_strings(child, f"{path}.{name}" if path else name)


SourcesMode: TypeAlias = Literal["enum", "free"]

# Above either cap a request's `sources` go back to bounded free strings. Measured with
# the pinned llama-server (bench/generator_source_enum.py, docs/benchmarks.md), building
# the grammar stays under 0.1 s up to 1,600 sentences (a 194 kB schema), so the caps
# are a margin, not a wall: they keep a request's schema to a few tens of kilobytes
# (other servers' converters are untested at larger sizes), while a window's worth of
# guideline text (8k tokens ≈ 30k characters) stays under them.
SOURCE_ENUM_MAX_SENTENCES = 400
SOURCE_ENUM_MAX_CHARS = 40_000
# Pieces shorter than this (a bullet mark, "Tabla 2", a lone heading word) back nothing.
SOURCE_MIN_CHARS = 12


@dataclass(frozen=True)
class SourceChoices:
    """The sentences a card may cite, and whether the schema offers them as an enum."""

    mode: SourcesMode
    sentences: tuple[str, ...]
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sources_mode": self.mode, "source_sentences": len(self.sentences), "reason": self.reason}


def source_choices(task: GenerationTask) -> SourceChoices:
    """The context's sentences (`aimed_contracts.sentences`), each once, in order.

    A sentence longer than the free-string bound of `sources` is left out, as today's
    schema could not have copied it either; above the caps the mode is `free`.
    """
    seen: set[str] = set()
    sentences: list[str] = []
    for context in task.contexts:
        for sentence in split_sentences(context.text):
            if SOURCE_MIN_CHARS <= len(sentence) <= GENERATED_MAX_CHARS["sources"] and sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
    chars = sum(len(sentence) for sentence in sentences)
    if not sentences:
        return SourceChoices("free", (), "no sentence of the context fits a source")
    if len(sentences) > SOURCE_ENUM_MAX_SENTENCES or chars > SOURCE_ENUM_MAX_CHARS:
        return SourceChoices(
            "free",
            tuple(sentences),
            f"{len(sentences)} sentences, {chars} characters: above the enum cap "
            f"({SOURCE_ENUM_MAX_SENTENCES} sentences, {SOURCE_ENUM_MAX_CHARS} characters)",
        )
    return SourceChoices("enum", tuple(sentences))


def structured_output_schema(task: GenerationTask, choices: SourceChoices | None = None) -> dict[str, Any]:
    """The card schema handed to the model server as `response_format` for one request.

    Narrower than the contract: topic, level and angle are fixed to the request's (the
    model does not spend tokens on them, nor misspell them), every `sources` item is one
    of the context's sentences (`choices`, computed from the task when not given) or,
    in mode `free`, a bounded string, every other free-text field has a length bound and
    an MCQ has exactly four options and four rationales.
    """
    choices = choices or source_choices(task)
    kind = task.card_kind
    schema = card_json_schema(kind)
    properties = schema["properties"]
    fixed = {
        "topic": task.topic,
        "level": task.level,
        "angle": task.angle.perspective if task.angle else None,
    }
    for name, value in fixed.items():
        properties[name] = {"const": value}
    for name, child in properties.items():
        if name not in fixed and name not in ("schema_version", "kind"):
            _bound_strings(child, name)
    if choices.mode == "enum":
        # One definition, referenced from every alternative below: the grammar holds the
        # sentences once, not once per number of sources.
        properties["sources"]["items"] = {"$ref": "#/$defs/source_sentence"}
    if kind == "drill_mcq":
        for field in ("options", "option_rationales"):
            properties[field]["minItems"] = properties[field]["maxItems"] = MCQ_GENERATED_OPTIONS
        properties["answer_index"]["maximum"] = MCQ_GENERATED_OPTIONS - 1
    else:
        schema = _tie_source_indices(schema)
    if choices.mode == "enum":
        schema["$defs"] = {"source_sentence": {"enum": list(choices.sentences)}}
    return schema


def _tie_source_indices(schema: dict[str, Any]) -> dict[str, Any]:
    """One alternative per number of sources, each with citations that stay inside it.

    JSON Schema cannot say "`source` < len(sources)", and a model that cites source 4 of
    a card with 3 has written a card nobody can render. The sources come first, so once
    the model closes that array the grammar keeps only the alternative of its length.
    """
    sources = schema["properties"]["sources"]
    cited = "key_points" if "key_points" in schema["properties"] else "rubric"
    branches = []
    for n in range(sources["minItems"], sources["maxItems"] + 1):
        branch = copy.deepcopy(schema)
        branch["properties"]["sources"]["minItems"] = branch["properties"]["sources"]["maxItems"] = n
        branch["properties"][cited]["items"]["properties"]["source"]["maximum"] = n - 1
        branches.append(branch)
    return {"anyOf": branches}
