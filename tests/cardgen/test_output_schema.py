"""The schema sent as `response_format` is the contract narrowed for one request.

It fixes topic, level and angle to the request's, makes every source one of the
context's sentences (bounded free strings above a cap), bounds every free-text field (a
small model looping inside a string must close it), keeps citations inside the sources
written and an MCQ's options and rationales the same length; every reviewed gold card
still fits.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from aimed_cardgen.output_schema import (
    GENERATED_MAX_CHARS,
    MCQ_GENERATED_OPTIONS,
    SOURCE_ENUM_MAX_CHARS,
    SOURCE_ENUM_MAX_SENTENCES,
    SOURCE_MIN_CHARS,
    SourceChoices,
    source_choices,
    structured_output_schema,
)
from aimed_contracts.cards import card_json_schema
from aimed_contracts.examples import (
    EXAMPLE_BATTLECARD,
    EXAMPLE_CONTEXT,
    EXAMPLE_DRILL_MCQ,
    EXAMPLE_DRILL_OPEN,
    EXAMPLE_TOPIC,
)
from aimed_contracts.prompts import AngleSpec, ContextPassage, GenerationTask
from aimed_contracts.sentences import split_sentences
from tests.scaleout.gold import gold_topics

FREE = SourceChoices("free", ())


def _task(
    task: str = "drill",
    level: int = 1,
    topic: str = EXAMPLE_TOPIC,
    angle: str | None = None,
    context: str = EXAMPLE_CONTEXT,
) -> GenerationTask:
    return GenerationTask(
        task=task,  # type: ignore[arg-type]
        topic=topic,
        contexts=[ContextPassage(text=context)],
        level=level,  # type: ignore[arg-type]
        angle=AngleSpec(perspective=angle) if angle else None,
    )


def _mcq(options: int, rationales: int) -> dict[str, Any]:
    card = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    card["options"] = [f"Opción {i}" for i in range(options)]
    card["option_rationales"] = [f"Motivo {i}" for i in range(rationales)]
    card["answer_index"] = 0
    return card


def _strings(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every string-typed schema node below `node`, with its field path."""
    kind = node.get("type")
    if kind == "string":
        return [(path, node)]
    if kind == "array":
        return _strings(node["items"], path)
    if kind == "object":
        return [
            found
            for name, child in node["properties"].items()
            for found in _strings(child, f"{path}.{name}" if path else name)
        ]
    return []


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return schema.get("anyOf", [schema])


def _gold_cards() -> list[dict[str, Any]]:
    return [card for topic in gold_topics() for card in topic.cards.values()]


def test_mcq_counts_are_tied_in_the_generation_schema_only() -> None:
    schema = structured_output_schema(_task())
    jsonschema.validate(_mcq(MCQ_GENERATED_OPTIONS, MCQ_GENERATED_OPTIONS), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_mcq(5, 4), schema)
    # The contract itself still allows 4–5 options, each count checked on its own.
    jsonschema.validate(_mcq(5, 4), card_json_schema("drill_mcq"))


@pytest.mark.parametrize(("task", "level"), [("battlecard", 1), ("drill", 1), ("drill", 2)])
def test_every_free_text_field_has_a_length_bound(task: str, level: int) -> None:
    schema = structured_output_schema(_task(task, level), FREE)
    strings = [found for branch in _branches(schema) for found in _strings(branch)]
    assert strings, "the walk found the card's string fields"
    for path, node in strings:
        if path == "kind":
            assert "const" in node
            continue
        assert node["maxLength"] == GENERATED_MAX_CHARS[path], path
        assert node["minLength"] == 1, path


def test_a_bound_refuses_what_the_contract_accepts() -> None:
    too_long = copy.deepcopy(EXAMPLE_DRILL_MCQ)
    too_long["vignette"] = "x" * (GENERATED_MAX_CHARS["vignette"] + 1)
    with pytest.raises(jsonschema.ValidationError, match="is too long"):
        jsonschema.validate(too_long, structured_output_schema(_task()))
    jsonschema.validate(too_long, card_json_schema("drill_mcq"))


def test_topic_level_and_angle_are_the_requests() -> None:
    schema = structured_output_schema(_task("variant", 1, topic="Crisis hipertensiva", angle="Tratamiento"))
    properties = schema["properties"]  # an MCQ has a single branch
    assert properties["topic"] == {"const": "Crisis hipertensiva"}
    assert properties["level"] == {"const": 1}
    assert properties["angle"] == {"const": "Tratamiento"}
    assert structured_output_schema(_task())["properties"]["angle"] == {"const": None}
    for branch in _branches(structured_output_schema(_task("battlecard", 2, topic="Crisis hipertensiva"))):
        assert branch["properties"]["topic"] == {"const": "Crisis hipertensiva"}
        assert branch["properties"]["level"] == {"const": 2}
    card = _mcq(4, 4)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(card, schema)  # the example's topic and angle are not this request's
    jsonschema.validate({**card, "topic": "Crisis hipertensiva", "angle": "Tratamiento"}, schema)


@pytest.mark.parametrize(
    ("task", "level", "example", "cited"),
    [
        ("battlecard", 1, EXAMPLE_BATTLECARD, "key_points"),
        ("drill", 2, EXAMPLE_DRILL_OPEN, "rubric"),
    ],
)
def test_citations_stay_inside_the_sources_written(
    task: str, level: int, example: dict[str, Any], cited: str
) -> None:
    schema = structured_output_schema(_task(task, level))
    lengths = [branch["properties"]["sources"]["minItems"] for branch in _branches(schema)]
    assert lengths == list(range(1, 9)), "one alternative per number of sources"
    card = {**copy.deepcopy(example), "topic": EXAMPLE_TOPIC, "angle": None}
    n = len(card["sources"])
    card[cited][0]["source"] = n - 1
    jsonschema.validate(card, schema)
    card[cited][0]["source"] = n  # one past the end: the contract refuses it, so must the grammar
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(card, schema)
    jsonschema.validate(card, card_json_schema(card["kind"]))  # JSON Schema alone cannot tell


def test_every_gold_card_fits_the_generation_bounds() -> None:
    cards = _gold_cards()
    assert len(cards) >= 100
    for card in cards:
        kind = card["kind"]
        task = "battlecard" if kind == "battlecard" else "drill"
        schema = structured_output_schema(
            _task(task, card["level"], topic=card["topic"], angle=card["angle"]), FREE
        )
        if kind == "drill_mcq":
            # The gold set has some five-option MCQs; generation asks for four.
            for field in ("options", "option_rationales"):
                schema["properties"][field]["maxItems"] = 5
            schema["properties"]["answer_index"]["maximum"] = 4
        jsonschema.validate(card, schema)


def _card_citing(example: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    card = {**copy.deepcopy(example), "topic": EXAMPLE_TOPIC, "angle": None, "sources": sources}
    for point in card.get("key_points", []):
        point["source"] = 0
    return card


@pytest.mark.parametrize(("task", "level"), [("battlecard", 1), ("drill", 1), ("drill", 2)])
def test_sources_are_an_enum_of_the_contexts_sentences(task: str, level: int) -> None:
    choices = source_choices(_task(task, level))
    assert choices.mode == "enum" and choices.reason is None
    assert list(choices.sentences) == [
        s for s in split_sentences(EXAMPLE_CONTEXT) if len(s) >= SOURCE_MIN_CHARS
    ]
    schema = structured_output_schema(_task(task, level))
    assert schema["$defs"]["source_sentence"] == {"enum": list(choices.sentences)}
    for branch in _branches(schema):
        assert branch["properties"]["sources"]["items"] == {"$ref": "#/$defs/source_sentence"}
    if "anyOf" in schema:
        assert all("$defs" not in b for b in schema["anyOf"]), "the sentences are listed once, at the root"


def test_the_enum_accepts_a_copied_sentence_and_refuses_anything_else() -> None:
    schema = structured_output_schema(_task("battlecard"))
    sentence = source_choices(_task("battlecard")).sentences[0]
    jsonschema.validate(_card_citing(EXAMPLE_BATTLECARD, [sentence]), schema)
    for wrong in (sentence[:-1], sentence.lower(), f"{sentence} {sentence}", "source_source_source"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(_card_citing(EXAMPLE_BATTLECARD, [wrong]), schema)


def test_fragments_and_overlong_sentences_are_not_offered_and_repeats_once() -> None:
    long_sentence = "La pauta " + "de fluidos " * 45 + "se ajusta."
    context = f"Tabla 2\n• K\n{long_sentence}\nLa insulina se inicia tras reponer potasio.\n" * 2
    choices = source_choices(_task(context=context))
    assert len(long_sentence) > GENERATED_MAX_CHARS["sources"]
    assert choices.sentences == ("La insulina se inicia tras reponer potasio.",)


def test_above_the_sentence_cap_sources_are_bounded_free_strings() -> None:
    context = "\n".join(
        f"La regla número {i} del protocolo se aplica." for i in range(SOURCE_ENUM_MAX_SENTENCES + 1)
    )
    choices = source_choices(_task("battlecard", context=context))
    assert choices.mode == "free"
    assert choices.reason is not None and f"{SOURCE_ENUM_MAX_SENTENCES + 1} sentences" in choices.reason
    assert choices.as_dict()["sources_mode"] == "free"
    schema = structured_output_schema(_task("battlecard", context=context))
    assert "$defs" not in schema
    for branch in _branches(schema):
        items = branch["properties"]["sources"]["items"]
        assert items["type"] == "string" and items["maxLength"] == GENERATED_MAX_CHARS["sources"]


def test_above_the_character_cap_sources_are_bounded_free_strings() -> None:
    sentence = "La fluidoterapia con suero salino se mantiene durante la primera hora " * 5
    count = SOURCE_ENUM_MAX_CHARS // len(sentence) + 1
    assert count <= SOURCE_ENUM_MAX_SENTENCES, "the character cap, not the sentence cap, decides"
    context = "\n".join(f"En el paso {i}, {sentence.strip().lower()}." for i in range(count))
    choices = source_choices(_task(context=context))
    assert choices.mode == "free" and "characters" in (choices.reason or "")


def test_the_enum_offers_only_the_passages_the_model_sees() -> None:
    first = "La insulina se inicia tras reponer potasio."
    second = "El bicarbonato no se usa de rutina."
    task = GenerationTask(
        task="drill", topic=EXAMPLE_TOPIC, contexts=[ContextPassage(text=first), ContextPassage(text=second)]
    )
    assert source_choices(task).sentences == (first, second)
    assert source_choices(task.model_copy(update={"contexts": task.contexts[1:]})).sentences == (second,)
