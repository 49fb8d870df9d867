"""The four answer buttons and their SM-2 quality."""

from __future__ import annotations

from enum import StrEnum


class Grade(StrEnum):
    FAIL = "fail"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"

    @property
    def quality(self) -> int:
        """SM-2 quality q: Fail 1, Hard 3, Good 4, Easy 5 (q 0 and 2 are not offered)."""
        return _QUALITY[self]

    @property
    def is_success(self) -> bool:
        """SM-2 counts q >= 3 as a correct recall, so Hard is a (weak) success."""
        return self is not Grade.FAIL


_QUALITY = {Grade.FAIL: 1, Grade.HARD: 3, Grade.GOOD: 4, Grade.EASY: 5}
