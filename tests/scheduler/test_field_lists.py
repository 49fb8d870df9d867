"""The SRS state and settings fields have one source each (the core's dataclasses); every shape
that carries them (table, review-log snapshot, wire, backup, settings API) must follow it."""

from __future__ import annotations

from dataclasses import fields

from aimed_contracts.scheduler_api import (
    LearnerSettingsPublic,
    LearnerSettingsUpdate,
    SrsMemory,
    SrsSettingsUpdate,
    SrsStatePublic,
)
from aimed_gateway.schemas import SettingsUpdate as PublicSettingsUpdate
from aimed_scheduler.backup import SrsStateRecord
from aimed_scheduler.models import SrsStateRow
from aimed_scheduler.srs import STATE_FIELDS, SrsSettings, SrsState

SETTINGS_FIELDS = {f.name for f in fields(SrsSettings)}
LEARNER_FIELDS = {"timezone", "daily_new_limit"}


def test_state_fields_are_the_cores() -> None:
    assert set(STATE_FIELDS) == {f.name for f in fields(SrsState)} - {"item_kind"}
    assert set(SrsState.new_topic(2.5).to_dict()) == {"item_kind", *STATE_FIELDS}


def test_every_shape_of_a_state_carries_every_field() -> None:
    assert set(STATE_FIELDS) <= set(SrsStateRow.model_fields)
    assert set(SrsMemory.model_fields) == set(STATE_FIELDS)
    assert issubclass(SrsStatePublic, SrsMemory) and issubclass(SrsStateRecord, SrsMemory)
    assert set(SrsStatePublic.model_fields) == {
        *STATE_FIELDS,
        "item_type",
        "item_id",
        "interval_days",
        "mastered",
        "version",
    }
    assert set(SrsStateRecord.model_fields) == {*STATE_FIELDS, "item_type", "topic_id", "angle_id", "version"}


def test_every_shape_of_the_settings_carries_every_field() -> None:
    assert set(SrsSettingsUpdate.model_fields) == SETTINGS_FIELDS
    assert set(LearnerSettingsUpdate.model_fields) == SETTINGS_FIELDS | LEARNER_FIELDS
    assert set(LearnerSettingsPublic.model_fields) == SETTINGS_FIELDS | LEARNER_FIELDS
    # The public update is the contract's declaration, not a copy of it.
    assert issubclass(PublicSettingsUpdate, LearnerSettingsUpdate)
    assert PublicSettingsUpdate.model_fields.keys() == LearnerSettingsUpdate.model_fields.keys()
