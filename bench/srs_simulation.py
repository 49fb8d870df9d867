"""One simulated learner, SM-2 vs FSRS: reviews per day and the retention reached.

The scheduler under test is the product's own pure core (`aimed_scheduler.srs.review`, the
code the service runs), once with `algorithm="sm2"` and once with `algorithm="fsrs"` at
`desired_retention` 0.9. Only the learner is simulated, by a documented memory model:

- `fsrs-hidden`: each topic's true memory follows FSRS-6's forgetting curve
  R(t) = (1 + F·t/S)^(−w20) with the learner's *hidden* parameters: FSRS-6's defaults each
  multiplied by a seeded log-normal factor (σ 0.25, clamped to py-fsrs's bounds), and a
  per-topic difficulty offset. The scheduler never sees them. This model shares FSRS's
  functional form, which favours FSRS; the next model does not.
- `exponential`: R(t) = exp(−t/S) with a per-topic memory: S starts at 1 day × a seeded
  topic factor (0.5–1.5); a success multiplies S by 1.5 + 2.5·(1 − R)·factor (spacing pays
  most when recall was hard), a Fail sets S to max(0.5 d, 0.3·S).

Each review: the topic is recalled with probability R at that moment (seeded RNG); a new
topic's first drill follows its BattleCard, read just before, so it counts as recalled. A recall
is graded Hard 15 %, Easy 15 % if R > 0.9 else 5 %, Good otherwise; a miss is Fail. New
topics: 5 a day in order until all 300 are introduced (day 60). The learner studies every
day at 09:00 and answers everything due that day, relearning steps (minutes) included.
Angles are not simulated (they are the product's extra items, the same under both).

Reported: reviews per day (mean over the 180 days, and over the last 30), total reviews,
the success rate of reviews, and the retention reached: the mean true recall probability of
all introduced topics, measured every day at 09:00 (mean over the last 30 days).

    .venv/bin/python bench/srs_simulation.py [--seed 7] [--chart docs/srs_simulation.png]

Both memory models run every time; the table is Markdown, ready for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from aimed_scheduler.srs import Grade, SrsSettings, SrsState, review

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MODELS = ("fsrs-hidden", "exponential")
RATING = {Grade.FAIL: Rating.Again, Grade.HARD: Rating.Hard, Grade.GOOD: Rating.Good, Grade.EASY: Rating.Easy}


class MemoryModel(Protocol):
    def recall_probability(self, topic: int, now: datetime) -> float: ...

    def update(self, topic: int, grade: Grade, now: datetime) -> None: ...


class HiddenFsrsMemory:
    """The learner's true memory: FSRS-6 with hidden, perturbed parameters (see the docstring)."""

    def __init__(self, topics: int, rng: random.Random) -> None:
        params = []
        for default, low, high in zip(
            DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        ):
            params.append(min(high, max(low, default * math.exp(rng.gauss(0.0, 0.25)))))
        self.truth = Scheduler(parameters=params, enable_fuzzing=False)
        self.cards = {t: Card(card_id=t + 1, due=START) for t in range(topics)}
        # A topic's own difficulty, on top of what the answers move: 1–10 scale, clamped.
        self.offset = {t: rng.uniform(-1.5, 1.5) for t in range(topics)}

    def recall_probability(self, topic: int, now: datetime) -> float:
        card = self.cards[topic]
        if card.last_review is None:
            return 1.0
        elapsed = max(0.0, (now - card.last_review).total_seconds() / 86400)
        stability = card.stability or 0.1
        return float((1 + self.truth._FACTOR * elapsed / stability) ** self.truth._DECAY)

    def update(self, topic: int, grade: Grade, now: datetime) -> None:
        card, _ = self.truth.review_card(self.cards[topic], RATING[grade], now)
        if card.difficulty is not None:
            card.difficulty = min(10.0, max(1.0, card.difficulty + self.offset[topic] / 10))
        self.cards[topic] = card


@dataclass
class ExponentialMemory:
    topics: int
    rng: random.Random
    stability: dict[int, float] = field(default_factory=dict)
    last: dict[int, datetime] = field(default_factory=dict)
    factor: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.factor = {t: self.rng.uniform(0.5, 1.5) for t in range(self.topics)}

    def recall_probability(self, topic: int, now: datetime) -> float:
        if topic not in self.last:
            return 1.0
        elapsed = max(0.0, (now - self.last[topic]).total_seconds() / 86400)
        return math.exp(-elapsed / self.stability[topic])

    def update(self, topic: int, grade: Grade, now: datetime) -> None:
        if topic not in self.last:
            self.stability[topic] = self.factor[topic]
        else:
            recall = self.recall_probability(topic, now)
            if grade is Grade.FAIL:
                self.stability[topic] = max(0.5, 0.3 * self.stability[topic])
            else:
                self.stability[topic] *= 1.5 + 2.5 * (1 - recall) * self.factor[topic]
        self.last[topic] = now


def answer(memory: MemoryModel, topic: int, now: datetime, rng: random.Random) -> Grade:
    recall = memory.recall_probability(topic, now)
    if rng.random() >= recall:
        return Grade.FAIL
    roll = rng.random()
    if roll < 0.15:
        return Grade.HARD
    if roll < 0.15 + (0.15 if recall > 0.9 else 0.05):
        return Grade.EASY
    return Grade.GOOD


@dataclass
class Result:
    reviews_per_day: list[int]
    retention_per_day: list[float]
    successes: int = 0

    @property
    def total(self) -> int:
        return sum(self.reviews_per_day)


def simulate(algorithm: str, model: str, seed: int, days: int, topics: int, new_per_day: int) -> Result:
    settings = SrsSettings(algorithm=algorithm, desired_retention=0.9)
    rng = random.Random(seed)
    memory: MemoryModel = (
        HiddenFsrsMemory(topics, random.Random(seed))
        if model == "fsrs-hidden"
        else ExponentialMemory(topics, random.Random(seed))
    )
    states: dict[int, SrsState] = {}
    result = Result(reviews_per_day=[], retention_per_day=[])
    introduced = 0
    for day in range(days):
        morning = START + timedelta(days=day)
        end_of_day = morning + timedelta(hours=14)
        for _ in range(new_per_day):
            if introduced < topics:
                states[introduced] = SrsState.new_topic(settings.initial_ease).evolve(due_at=morning)
                introduced += 1
        seen = [t for t, s in states.items() if not s.is_new]
        result.retention_per_day.append(
            sum(memory.recall_probability(t, morning) for t in seen) / len(seen) if seen else 0.0
        )
        count = 0
        now = morning
        while True:
            due = [
                (s.due_at, t) for t, s in states.items() if s.due_at is not None and s.due_at <= end_of_day
            ]
            if not due:
                break
            due_at, topic = min(due)
            assert due_at is not None
            now = max(now, due_at) + timedelta(seconds=30)
            grade = answer(memory, topic, now, rng)
            states[topic], _ = review(states[topic], grade, now, settings)
            memory.update(topic, grade, now)
            count += 1
            result.successes += grade is not Grade.FAIL
        result.reviews_per_day.append(count)
    return result


def mean(values: list[float] | list[int]) -> float:
    return sum(values) / len(values)


def chart(runs: dict[str, dict[str, Result]], path: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(runs), figsize=(6 * len(runs), 7), sharex=True, squeeze=False)
    for column, (model, results) in enumerate(runs.items()):
        top, bottom = axes[0][column], axes[1][column]
        for name, result in results.items():
            daily = result.reviews_per_day
            week = [mean(daily[max(0, i - 6) : i + 1]) for i in range(len(daily))]
            top.plot(week, label=f"{name}: {result.total} reviews")
            # Day 0 has no studied topic yet.
            bottom.plot(range(1, len(daily)), result.retention_per_day[1:], label=name)
        top.set_title(f"memory model: {model}")
        top.set_ylabel("reviews per day (7-day mean)")
        top.legend()
        bottom.axhline(0.9, color="grey", linestyle=":", linewidth=1, label="desired retention 0.9")
        bottom.set_ylim(0.8, 1.0)
        bottom.set_ylabel("mean true recall of studied topics")
        bottom.set_xlabel("day")
        bottom.legend(loc="lower right")
    fig.suptitle(f"SM-2 vs FSRS, one simulated learner ({subtitle})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--topics", type=int, default=300)
    parser.add_argument("--new-per-day", type=int, default=5)
    parser.add_argument("--chart", type=Path, help="write the PNG chart here")
    args = parser.parse_args()

    runs = {
        model: {
            name: simulate(name, model, args.seed, args.days, args.topics, args.new_per_day)
            for name in ("sm2", "fsrs")
        }
        for model in MODELS
    }
    subtitle = f"seed {args.seed}, {args.days} days, {args.topics} topics, desired retention 0.9"
    print(subtitle)
    header = ("model", "algorithm", "reviews", "per day", "last 30 d/day", "success", "retention last 30 d")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for model, results in runs.items():
        for name, r in results.items():
            cells = (
                model,
                name,
                str(r.total),
                f"{mean(r.reviews_per_day):.1f}",
                f"{mean(r.reviews_per_day[-30:]):.1f}",
                f"{r.successes / r.total:.3f}",
                f"{mean(r.retention_per_day[-30:]):.3f}",
            )
            print("| " + " | ".join(cells) + " |")
    if args.chart:
        chart(runs, args.chart, subtitle)
        print(f"chart: {args.chart}")


if __name__ == "__main__":
    main()
