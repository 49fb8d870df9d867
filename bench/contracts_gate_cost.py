"""Gate cost per card: time `check_card` on the worked example cards (target < 5 ms per card).

Each iteration checks all three example cards (battlecard, MCQ, open drill) against the
example context from scratch, as the generator does for every card it returns.
Usage: .venv/bin/python bench/contracts_gate_cost.py [--iterations N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from aimed_contracts.examples import EXAMPLE_CARDS, EXAMPLE_CONTEXT
from aimed_contracts.grounding import check_card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000, help="rounds over the example cards")
    args = parser.parse_args()
    cards = list(EXAMPLE_CARDS.items())
    for _kind, card in cards:  # warm-up; also proves the examples still pass
        assert check_card(card, EXAMPLE_CONTEXT).valid
    timings: dict[str, list[float]] = {kind: [] for kind, _card in cards}
    for _ in range(args.iterations):
        for kind, card in cards:
            start = time.perf_counter()
            check_card(card, EXAMPLE_CONTEXT)
            timings[kind].append((time.perf_counter() - start) * 1000)
    every = [ms for values in timings.values() for ms in values]
    print(f"python {platform.python_version()}, {args.iterations} iterations x {len(cards)} cards")
    print(f"context: {len(EXAMPLE_CONTEXT)} chars")
    for kind, values in [*timings.items(), ("all", every)]:
        mean, median = statistics.fmean(values), statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        print(f"{kind:<11} mean {mean:.3f} ms  median {median:.3f} ms  p99 {p99:.3f} ms")
    print(f"target < 5 ms per card: {'met' if statistics.fmean(every) < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
