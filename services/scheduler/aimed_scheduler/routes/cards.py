"""Generated cards: stored by the gateway after generation, fetched for the study loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import col, select

from aimed_contracts.errors import InvalidInput, NotFound
from aimed_contracts.fields import RowId, RowOffset
from aimed_contracts.scheduler_api import CardCreate, CardKind, CardPublic, CardsPublic, ItemType
from aimed_scheduler import repository
from aimed_scheduler.deps import NowDep, SessionDep, WriteSessionDep
from aimed_scheduler.models import Card, Context
from aimed_servicekit.errors import ERROR_RESPONSES

router = APIRouter(prefix="/learners/{learner_id}", tags=["cards"], responses=ERROR_RESPONSES)


def _public(card: Card) -> CardPublic:
    return CardPublic.model_validate(card, from_attributes=True)


@router.post("/cards", status_code=status.HTTP_201_CREATED)
def store_card(learner_id: RowId, body: CardCreate, session: WriteSessionDep, now: NowDep) -> CardPublic:
    repository.get_topic(session, learner_id, body.topic_id)
    if body.angle_id is not None:
        angle = repository.get_angle(session, learner_id, body.angle_id)
        if angle.topic_id != body.topic_id:
            raise InvalidInput(
                f"Angle {body.angle_id} belongs to topic {angle.topic_id}, not to topic {body.topic_id}.",
                detail=[{"field": "angle_id", "message": "angle of another topic"}],
            )
    if body.context_ids:
        found = set(
            session.exec(
                select(Context.id).where(
                    col(Context.id).in_(body.context_ids),
                    Context.topic_id == body.topic_id,
                    Context.learner_id == learner_id,
                )
            ).all()
        )
        missing = sorted(set(body.context_ids) - found)
        if missing:
            raise NotFound(f"Contexts {missing} do not exist for topic {body.topic_id}.")
    card = Card(learner_id=learner_id, created_at=now, **body.model_dump(mode="json"))
    session.add(card)
    session.commit()
    session.refresh(card)
    return _public(card)


@router.get("/cards")
def list_cards(
    learner_id: RowId,
    session: SessionDep,
    item_type: ItemType | None = None,
    item_id: RowId | None = None,
    kind: CardKind | None = None,
    unreviewed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after_id: Annotated[
        RowOffset | None, Query(description="Page on: the last `id` of the previous page.")
    ] = None,
) -> CardsPublic:
    """Oldest first. `unreviewed=true`: cards no review has used yet (the gateway's prefetched,
    unseen cards). More than `limit` cards: ask again with `after_id` = the last id received."""
    repository.get_learner(session, learner_id)
    if (item_type is None) != (item_id is None):
        raise InvalidInput("Send item_type and item_id together, or neither.")
    query = select(Card).where(Card.learner_id == learner_id)
    if item_type is ItemType.TOPIC:
        query = query.where(Card.topic_id == item_id, col(Card.angle_id).is_(None))
    elif item_type is ItemType.ANGLE:
        query = query.where(Card.angle_id == item_id)
    if kind is not None:
        query = query.where(Card.kind == kind.value)
    if after_id is not None:
        query = query.where(col(Card.id) > after_id)
    if unreviewed:
        query = query.where(col(Card.id).not_in(repository.used_card_ids(learner_id)))
    cards = session.exec(query.order_by(col(Card.id)).limit(limit)).all()
    return CardsPublic(data=[_public(c) for c in cards], count=len(cards))


@router.get("/cards/{card_id}")
def read_card(learner_id: RowId, card_id: RowId, session: SessionDep) -> CardPublic:
    card = session.get(Card, card_id)
    if card is None or card.learner_id != learner_id:
        raise NotFound(f"Card {card_id} does not exist for learner {learner_id}.")
    return _public(card)
