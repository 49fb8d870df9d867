"""Every constant of the scheduling rules, in one validated, immutable object."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_PERSPECTIVES: tuple[str, ...] = (
    "complicaciones",
    "diagnóstico diferencial",
    "tratamiento de segunda línea",
    "poblaciones especiales",
    "interpretación de laboratorio",
    "fisiopatología",
    "seguimiento y criterios de resolución",
)

# Angle labels run "Sub-nodo B" .. "Sub-nodo Z" (the topic itself is A).
MAX_PERSPECTIVES = 25

ALGORITHMS = ("sm2", "fsrs")


@dataclass(frozen=True, slots=True)
class SrsSettings:
    initial_ease: float = 2.5
    minimum_ease: float = 1.3
    relearn_minutes: int = 10
    hard_interval_days: int = 1
    first_interval_days: int = 1
    second_interval_days: int = 6
    easy_bonus: float = 1.3
    level2_min_ease: float = 2.6
    level2_min_interval_days: int = 7
    mastery_n: int = 3
    angle_mastery_n: int = 2
    perspectives: tuple[str, ...] = field(default=DEFAULT_PERSPECTIVES)
    # Which algorithm computes intervals; the product rules (angles, levels, mastery) hold for both.
    algorithm: str = "sm2"
    # FSRS schedules each item when its predicted recall falls to this probability.
    desired_retention: float = 0.9
    # FSRS's level 2: the memory lasts (stability) at least this many days and the item is
    # not hard for this learner (difficulty, 1–10, at most this).
    fsrs_level2_min_stability_days: float = 14.0
    fsrs_level2_max_difficulty: float = 5.0

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ValueError("invalid SRS settings: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not 1.3 <= self.initial_ease <= 5.0:
            problems.append(f"initial_ease must be between 1.3 and 5.0, got {self.initial_ease}")
        if not 1.0 <= self.minimum_ease <= self.initial_ease:
            problems.append(
                f"minimum_ease must be between 1.0 and initial_ease ({self.initial_ease}), "
                f"got {self.minimum_ease}"
            )
        if not 1 <= self.relearn_minutes < 1440:
            problems.append(f"relearn_minutes must be between 1 and 1439, got {self.relearn_minutes}")
        for name in ("hard_interval_days", "first_interval_days", "second_interval_days"):
            value = getattr(self, name)
            if not 1 <= value <= 365:
                problems.append(f"{name} must be between 1 and 365, got {value}")
        if self.second_interval_days < self.first_interval_days:
            problems.append(
                f"second_interval_days ({self.second_interval_days}) must be >= "
                f"first_interval_days ({self.first_interval_days})"
            )
        if not 1.0 <= self.easy_bonus <= 5.0:
            problems.append(f"easy_bonus must be between 1.0 and 5.0, got {self.easy_bonus}")
        if not 1.3 <= self.level2_min_ease <= 5.0:
            problems.append(f"level2_min_ease must be between 1.3 and 5.0, got {self.level2_min_ease}")
        if not 0 <= self.level2_min_interval_days <= 3650:
            problems.append(
                f"level2_min_interval_days must be between 0 and 3650, got {self.level2_min_interval_days}"
            )
        for name in ("mastery_n", "angle_mastery_n"):
            value = getattr(self, name)
            if not 1 <= value <= 50:
                problems.append(f"{name} must be between 1 and 50, got {value}")
        if self.algorithm not in ALGORITHMS:
            problems.append(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}")
        if not 0.7 <= self.desired_retention <= 0.99:
            problems.append(f"desired_retention must be between 0.7 and 0.99, got {self.desired_retention}")
        if not 1.0 <= self.fsrs_level2_min_stability_days <= 3650:
            problems.append(
                "fsrs_level2_min_stability_days must be between 1 and 3650, "
                f"got {self.fsrs_level2_min_stability_days}"
            )
        if not 1.0 <= self.fsrs_level2_max_difficulty <= 10.0:
            problems.append(
                f"fsrs_level2_max_difficulty must be between 1 and 10, got {self.fsrs_level2_max_difficulty}"
            )
        if not isinstance(self.perspectives, tuple):
            problems.append("perspectives must be a tuple of strings")
        else:
            cleaned = [p.strip() for p in self.perspectives if isinstance(p, str)]
            if len(cleaned) != len(self.perspectives) or any(not p for p in cleaned):
                problems.append("perspectives must be non-empty strings")
            if len({p.casefold() for p in cleaned}) != len(cleaned):
                problems.append("perspectives must be unique")
            if not 1 <= len(self.perspectives) <= MAX_PERSPECTIVES:
                problems.append(
                    f"perspectives must have between 1 and {MAX_PERSPECTIVES} entries, "
                    f"got {len(self.perspectives)}"
                )
        return problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["perspectives"] = list(self.perspectives)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SrsSettings:
        """Builds settings from stored/JSON values; unknown keys are an error, missing ones default."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"invalid SRS settings: unknown keys {unknown}; allowed: {sorted(known)}")
        values = dict(data)
        if "perspectives" in values and isinstance(values["perspectives"], list):
            values["perspectives"] = tuple(values["perspectives"])
        return cls(**values)
