"""Sections of a guideline (a PDF the gateway has split) stored as contexts, all or nothing.

Each section goes to an existing topic or to a new one; sections that name the same new
topic (same title and modulo, ignoring case) share it. One transaction: an unknown topic or
an invalid section stores nothing. A section whose text the topic already holds is not copied.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from aimed_contracts.errors import InvalidInput
from aimed_contracts.scheduler_api import ContextPublic, GuidelineSectionBase, TopicPublic
from aimed_scheduler import repository
from aimed_scheduler.models import Context, Learner, Topic, TopicCreate

MAX_SECTIONS = 200


class GuidelineSection(GuidelineSectionBase):
    new_topic: TopicCreate | None = None


class GuidelineImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_label: str = Field(min_length=1, max_length=200)
    sections: list[GuidelineSection] = Field(min_length=1, max_length=MAX_SECTIONS)


class GuidelineImportResult(BaseModel):
    topics_created: list[TopicPublic]
    contexts: list[ContextPublic]
    already_stored: int


def content_hash(text: str) -> str:
    """The digest `contexts.content_hash` holds (the same text is stored once per topic)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


def import_sections(
    session: Session, learner: Learner, body: GuidelineImport, now: datetime
) -> GuidelineImportResult:
    """Stages everything in `session` (the caller commits once)."""
    assert learner.id is not None
    settings = repository.srs_settings_of(learner)
    label = body.source_label.strip()
    if not label:
        raise InvalidInput("source_label is blank: name the guideline (e.g. 'GPC Neumonía 2024').")
    for section in body.sections:
        if section.topic_id is not None:
            repository.get_topic(session, learner.id, section.topic_id)
    new_topics: dict[tuple[str, str], Topic] = {}
    stored: list[Context] = []
    already = 0
    for section in body.sections:
        if section.new_topic is not None:
            key = (section.new_topic.title.casefold(), section.new_topic.modulo.casefold())
            if key not in new_topics:
                new_topics[key] = repository.create_topic(session, learner, section.new_topic, now, settings)
            topic_id = new_topics[key].id
        else:
            topic_id = section.topic_id
        assert topic_id is not None
        digest = content_hash(section.text)
        duplicate = session.exec(
            select(Context).where(Context.topic_id == topic_id, Context.content_hash == digest)
        ).first() or next((c for c in stored if c.topic_id == topic_id and c.content_hash == digest), None)
        if duplicate is not None:
            already += 1
            continue
        context = Context(
            learner_id=learner.id,
            topic_id=topic_id,
            source_label=f"{label} · {section.title.strip()}"[:300],
            text=section.text,
            content_hash=digest,
            created_at=now,
        )
        session.add(context)
        stored.append(context)
    session.flush()
    return GuidelineImportResult(
        topics_created=repository.topics_public(session, list(new_topics.values())),
        contexts=[ContextPublic.model_validate(c, from_attributes=True) for c in stored],
        already_stored=already,
    )
