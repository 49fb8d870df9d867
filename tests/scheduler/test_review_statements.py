"""What one review costs the database: its SQL statements counted on the engine, on SQLite and PostgreSQL.

A review is one transaction. Each statement is a round trip on PostgreSQL (BEGIN and COMMIT are
two more), so a lookup that comes back shows here before it shows in bench/scheduler_latency.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.scheduler.utils import Api

# The learner, the idempotency key, the item's state row (with its angle, if any), the review
# INSERT, the compare-and-set UPDATE of the state. Answered by card, the card is one more.
BY_ITEM = ["learners", "reviews", "srs_states", "INSERT reviews", "UPDATE srs_states"]
BY_CARD = ["learners", "cards", "reviews", "srs_states", "INSERT reviews", "UPDATE srs_states"]
BY_ITEM_NAMING_ITS_CARD = [*BY_ITEM[:3], "cards", *BY_ITEM[3:]]

MCQ = {
    "kind": "drill_mcq",
    "level": 1,
    "payload": {"question": "¿Qué fármaco?", "options": ["A", "B", "C", "D"], "answer_index": 1},
    "markdown": "# Pregunta",
    "context_ids": [],
    "model_id": "demo.gguf",
    "grounding_report": {"valid": True, "issues": []},
}


def _name(statement: str) -> str:
    """`SELECT … FROM learners …` -> "learners"; `INSERT INTO reviews …` -> "INSERT reviews"."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "SELECT":
        return words[words.index("FROM") + 1]
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    return f"{verb} {words[1]}"


@contextmanager
def _statements(api: Api) -> Iterator[list[str]]:
    """The statements the scheduler sends while the block runs, and `begin`/`commit`/`rollback`."""
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, text: str, *_: Any) -> None:
        if not text.lstrip().upper().startswith(("BEGIN", "PRAGMA")):  # SQLite's own BEGIN IMMEDIATE
            seen.append(_name(text))

    def mark(name: str) -> Any:
        return lambda _conn: seen.append(f"({name})")

    listeners = [("before_cursor_execute", statement)]
    listeners += [(name, mark(name)) for name in ("begin", "commit", "rollback")]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _one_transaction(statements: list[str]) -> list[str]:
    assert statements[0] == "(begin)" and statements[-1] == "(commit)", statements
    inside = statements[1:-1]
    assert not any(s.startswith("(") for s in inside), statements
    return inside


def _review(api: Api, learner_id: int, **body: Any) -> list[str]:
    with _statements(api) as seen:
        outcome = api.ok(
            api.post(f"/learners/{learner_id}/reviews", json={"grade": "good", "expected_version": 1, **body})
        )
    assert outcome["replayed"] is False
    return _one_transaction(seen)


def test_a_review_by_item_is_five_statements_in_one_transaction(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Sepsis")["id"]
    assert _review(api, lid, item_type="topic", item_id=tid, idempotency_key="by-item") == BY_ITEM


def test_a_review_by_card_reads_the_card_once_and_nothing_after_the_commit(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Shock")["id"]
    first = api.ok(api.post(f"/learners/{lid}/cards", json={**MCQ, "topic_id": tid}), 201)["id"]
    statements = _review(api, lid, card_id=first, chosen_option=1, idempotency_key="by-card")
    assert statements == BY_CARD

    other = api.topic(lid, "Neumonía")["id"]
    second = api.ok(api.post(f"/learners/{lid}/cards", json={**MCQ, "topic_id": other}), 201)["id"]
    statements = _review(
        api, lid, item_type="topic", item_id=other, card_id=second, idempotency_key="by-item-and-card"
    )
    assert statements == BY_ITEM_NAMING_ITS_CARD


def test_an_angle_is_read_with_its_state_in_one_query(api: Api) -> None:
    lid = api.learner()
    tid = api.topic(lid, "Insuficiencia cardiaca")["id"]
    angle = api.answer(lid, "topic", tid, "fail")["angle_created"]
    statements = _review(api, lid, item_type="angle", item_id=angle["id"], idempotency_key="angle")
    # Still active after one good answer: its status is not written again.
    assert statements == BY_ITEM
