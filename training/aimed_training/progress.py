"""Progress of the long steps (train, export, eval, build-dataset): a bar with an estimate.

On a terminal, tqdm draws one bar on stderr (done/total, elapsed, time left, rate) and
messages are printed above it. Elsewhere (a log file, CI, a notebook cell that captures
the output) every update is one plain line, with the same figures from tqdm's own
formatter: `[aimed-train] train: step 3/150 loss 1.2 | 3/150 [00:10<08:12, 3.33s/step]`.
Functions that report progress take any `Callable[[str], None]`; `steps()` gives them a
bar whatever they were handed (tests pass a list's `append`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

Report = Callable[[str], None]


class Steps:
    """A bar being advanced: `advance()` after each unit of work, optionally with a message."""

    def __init__(self, report: Report, total: int, description: str, unit: str, bar: Any | None) -> None:
        self._report = report
        self._total = total
        self._description = description
        self._unit = unit
        self._bar = bar
        self._done = 0
        self._started = time.monotonic()

    @property
    def done(self) -> int:
        return self._done

    def meter(self) -> str:
        """tqdm's summary of the work so far: done/total, elapsed<left, rate."""
        return tqdm.format_meter(
            self._done, self._total, time.monotonic() - self._started, unit=self._unit, ncols=0
        ).strip()

    def advance(self, count: int = 1, message: str | None = None) -> None:
        self._done += count
        if self._bar is not None:
            if message:  # printed above the bar (Progress writes through tqdm.write on a terminal)
                self._report(f"{self._description}: {message}")
            self._bar.update(count)
            return
        self._report(f"{self._description}: {message + ' | ' if message else ''}{self.meter()}")


class Progress:
    """The CLI's reporter: plain `[aimed-train]` lines, and a tqdm bar per long step on a terminal."""

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None) -> None:
        self._stream = stream
        self._interactive = interactive

    @property
    def stream(self) -> TextIO:
        # Looked up at each use: the CLI's reporter is made at import, before tests capture stderr.
        return self._stream or sys.stderr

    @property
    def interactive(self) -> bool:
        return self.stream.isatty() if self._interactive is None else self._interactive

    def __call__(self, message: str) -> None:
        line = f"[aimed-train] {message}"
        if self.interactive:
            tqdm.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    @contextmanager
    def steps(self, total: int, description: str, unit: str) -> Iterator[Steps]:
        if not self.interactive:
            yield Steps(self, total, description, unit, None)
            return
        with tqdm(total=total, desc=description, unit=unit, file=self.stream, dynamic_ncols=True) as bar:
            yield Steps(self, total, description, unit, bar)


@contextmanager
def steps(report: Report, total: int, description: str, unit: str = "it") -> Iterator[Steps]:
    """A bar on `report` if it is a `Progress`, plain lines through it otherwise."""
    if isinstance(report, Progress):
        with report.steps(total, description, unit) as bar:
            yield bar
        return
    yield Steps(report, total, description, unit, None)
