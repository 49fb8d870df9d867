"""A topic goes back to the slot that holds its prompt, a new topic to the least recently used idle slot."""

from __future__ import annotations

from aimed_cardgen.slot_affinity import SlotAffinity, prefix_key
from aimed_contracts.examples import EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.prompts import GenerationTask


def _task(task: str = "battlecard", level: int = 1, text: str = EXAMPLE_CONTEXT) -> GenerationTask:
    return GenerationTask.model_validate(
        {"task": task, "level": level, "topic": EXAMPLE_TOPIC, "contexts": [{"text": text, "label": "Guía"}]}
    )


def test_every_card_of_a_topic_has_one_key_and_another_context_another() -> None:
    keys = {prefix_key(_task(t, lv)) for t, lv in (("battlecard", 1), ("drill", 1), ("drill", 2))}
    assert len(keys) == 1
    assert prefix_key(_task(text="Otra guía.")) not in keys


def test_a_topic_returns_to_its_slot_after_another_topic() -> None:
    slots = SlotAffinity()
    with slots.slot("A", 2) as first:
        pass
    with slots.slot("B", 2) as second:
        pass
    assert {first, second} == {0, 1}, "a new topic takes the idle slot used least recently"
    with slots.slot("A", 2) as again:
        assert again == first
    with slots.slot("C", 2) as third:
        assert third == second, "the least recently used slot is given up first"


def test_a_busy_slot_is_never_chosen() -> None:
    slots = SlotAffinity()
    with slots.slot("A", 2) as first:
        pass
    with slots.slot("B", 2) as busy:
        assert busy == 1 - first
        with slots.slot("B", 2) as other:  # the same topic again, while its slot works
            assert other == first
            with slots.slot("B", 2) as none:
                assert none is None, "every slot busy: llama-server chooses"
