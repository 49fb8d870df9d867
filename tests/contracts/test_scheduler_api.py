"""The kind <-> level rule, read both ways from the one table in aimed_contracts.cards."""

from __future__ import annotations

from aimed_contracts.cards import DRILL_KIND_BY_LEVEL
from aimed_contracts.prompts import card_kind_for
from aimed_contracts.scheduler_api import CardKind, card_kinds_for, card_level


def test_a_new_topic_shows_its_battlecard_then_a_level_one_drill() -> None:
    assert card_kinds_for("new", 1) == [CardKind.BATTLECARD, CardKind.DRILL_MCQ]


def test_a_due_item_shows_the_drill_of_its_level() -> None:
    assert card_kinds_for("due", 1) == [CardKind.DRILL_MCQ]
    assert card_kinds_for("due", 2) == [CardKind.DRILL_OPEN]


def test_a_cards_level_round_trips_through_its_kind() -> None:
    for level, kind in DRILL_KIND_BY_LEVEL.items():
        assert card_level(kind, item_level=3 - level) == level
        assert card_kind_for("drill", card_level(kind, 1)) == kind
    # A BattleCard takes the level of the item it is written for.
    assert card_level(CardKind.BATTLECARD, 2) == 2
