"""The pure scheduling core (SM-2, and FSRS-6 through py-fsrs): grades, settings, immutable
states and the transition rules.

No I/O, no globals, no clock: every function takes `now` and a `SrsSettings`.
"""

from aimed_scheduler.srs.angles import AngleSpec, angle_label, next_angle
from aimed_scheduler.srs.grade import Grade
from aimed_scheduler.srs.outcome import ReviewOutcome
from aimed_scheduler.srs.scheduler import next_states, review, switch_algorithm
from aimed_scheduler.srs.settings import DEFAULT_PERSPECTIVES, SrsSettings
from aimed_scheduler.srs.state import STATE_FIELDS, FsrsPhase, ItemKind, SrsState

__all__ = [
    "DEFAULT_PERSPECTIVES",
    "STATE_FIELDS",
    "AngleSpec",
    "FsrsPhase",
    "Grade",
    "ItemKind",
    "ReviewOutcome",
    "SrsSettings",
    "SrsState",
    "angle_label",
    "next_angle",
    "next_states",
    "review",
    "switch_algorithm",
]
