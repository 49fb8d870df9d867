"""Field types shared by the public API (gateway) and the scheduler: one definition of each input rule.

- Ids, versions and offsets are bounded to a signed 32-bit integer, the `integer` id columns
  of PostgreSQL (SQLite's are 64-bit): a larger number is a 422 before it reaches a query,
  where PostgreSQL would raise "integer out of range" and SQLite OverflowError past 2^63.
- Topic titles and modulos are trimmed (Unicode spaces too, e.g. U+00A0) and must not be
  empty after trimming, on create and on update alike.
- Calendar dates are `YYYY-MM-DD` text: a number (`0`, `"0"`) is refused rather than read as
  a Unix timestamp (1970-01-01).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import BeforeValidator, StringConstraints

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Interval(ge=1, le=MAX_ROW_ID)]
RowOffset = Annotated[int, Interval(ge=0, le=MAX_ROW_ID)]

TopicTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ModuloName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day_only(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        return value.strip()
    raise ValueError(f"a date is text YYYY-MM-DD (e.g. 2026-03-02), not {value!r}")


CalendarDate = Annotated[date, BeforeValidator(_iso_day_only)]
