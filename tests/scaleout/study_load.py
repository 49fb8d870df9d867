"""Study sessions driven against the public API, with the races a real deployment meets.

Each learner's session is one thread: `next` → review (with an idempotency key), again
and again, through nginx. On a fixed schedule it instead

- submits the same review twice at the same instant through two different gateways
  (a double click, or a retry racing the original): both must answer 200 with the same
  review id, exactly one of them not `replayed`;
- submits two different answers for the same item and the same state version at the same
  instant through two different gateways (two tabs): exactly one 200, the other 409
  `stale_version`;
- retries an acknowledged review through nginx (a client whose answer was lost): the
  stored outcome comes back, `replayed`;
- undoes the review it just made.

Every answer is checked as it arrives; what was acknowledged goes into a `Ledger` that the
test compares with the database afterwards. Time is the test clock (`X-Aimed-Now`): each
learner's clock jumps to the next due item when nothing is left, so items come back for
second and third reviews within seconds of wall time.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from aimed_gateway.tokens import TokenStore
from tests.scaleout.cluster import Cluster
from tests.scaleout.gold import GoldTopic, card_body

CLOCK_HEADER = "X-Aimed-Now"
GRADES = ("fail", "hard", "good", "easy")
GRADE_WEIGHTS = (2, 2, 3, 3)
DRILL_KINDS = ("drill_mcq", "drill_open")
# Unreviewed drills kept in stock per item and kind, so `next` never has to generate.
CARD_STOCK = 2


class UnexpectedAnswer(AssertionError):
    """An HTTP answer the scenario did not allow; the message has the request and the body."""


@dataclass
class Ledger:
    """What the API acknowledged, shared by every session thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: dict[tuple[int, str], int] = field(default_factory=dict)  # (learner, key) → review id
    refused: set[tuple[int, str]] = field(default_factory=set)  # keys answered 409
    undone: set[int] = field(default_factory=set)  # review ids
    statuses: Counter[int] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1

    def event(self, name: str) -> None:
        with self.lock:
            self.events[name] += 1

    def ack(self, learner_id: int, key: str, review_id: int) -> None:
        with self.lock:
            known = self.acknowledged.setdefault((learner_id, key), review_id)
        if known != review_id:
            raise UnexpectedAnswer(f"key {key} acknowledged as review {known} and as review {review_id}")

    def refuse(self, learner_id: int, key: str) -> None:
        with self.lock:
            self.refused.add((learner_id, key))

    def undo(self, review_id: int) -> None:
        with self.lock:
            self.undone.add(review_id)


@dataclass
class EnrolledTopic:
    gold: GoldTopic
    topic_id: int
    context_id: int


@dataclass
class Learner:
    learner_id: int
    token: str
    topics: dict[int, EnrolledTopic]


def _expect(ledger: Ledger, response: httpx.Response, *allowed: int) -> httpx.Response:
    ledger.status(response.status_code)
    if response.status_code not in allowed:
        request = response.request
        raise UnexpectedAnswer(
            f"{request.method} {request.url} answered {response.status_code} (allowed {allowed}): "
            f"{response.text[:500]}"
        )
    return response


class CardStock:
    """Stores gold cards through the scheduler's cards API, as the gateway stores generated ones."""

    def __init__(self, scheduler_url: str, ledger: Ledger) -> None:
        self.client = httpx.Client(base_url=scheduler_url, timeout=30.0)
        self.ledger = ledger

    def store(self, learner_id: int, body: dict[str, Any]) -> None:
        _expect(self.ledger, self.client.post(f"/v1/learners/{learner_id}/cards", json=body), 201)

    def top_up(
        self, learner_id: int, topic: EnrolledTopic, angle_id: int | None, perspective: str | None
    ) -> None:
        item = (
            {"item_type": "angle", "item_id": angle_id}
            if angle_id
            else {"item_type": "topic", "item_id": topic.topic_id}
        )
        for kind in DRILL_KINDS:
            page = _expect(
                self.ledger,
                self.client.get(
                    f"/v1/learners/{learner_id}/cards", params={**item, "kind": kind, "unreviewed": "true"}
                ),
                200,
            ).json()
            for _ in range(CARD_STOCK - page["count"]):
                body = card_body(
                    topic.gold,
                    kind,
                    topic_id=topic.topic_id,
                    context_id=topic.context_id,
                    angle_id=angle_id,
                    perspective=perspective,
                )
                self.store(learner_id, body)

    def close(self) -> None:
        self.client.close()


def enrol(
    cluster: Cluster, name: str, golds: list[GoldTopic], start: datetime, ledger: Ledger, stock: CardStock
) -> Learner:
    """A learner with a token, its syllabus imported and contexts pushed through nginx, cards in stock."""
    learner = _expect(
        ledger,
        httpx.post(
            f"{cluster.scheduler_urls[0]}/v1/learners",
            json={"name": name, "timezone": "UTC", "daily_new_limit": len(golds)},
            timeout=30.0,
        ),
        201,
        200,
    ).json()
    learner_id = int(learner["id"])
    # What `aimed-gateway create-learner` does after creating the learner.
    token = TokenStore(cluster.token_db_path).issue(str(learner_id), label=name)
    headers = {"Authorization": f"Bearer {token}", CLOCK_HEADER: start.isoformat()}
    with httpx.Client(base_url=cluster.proxy_url, headers=headers, timeout=30.0) as api:
        syllabus = [
            {
                "title": g.title,
                "modulo": g.modulo,
                "priority": 1 + i % 5,
                "date_assigned": start.date().isoformat(),
            }
            for i, g in enumerate(golds)
        ]
        imported = _expect(ledger, api.post("/api/v1/topics/import", json=syllabus), 200, 201).json()
        by_title = {t["title"]: int(t["id"]) for t in imported["data"]}
        topics = {}
        for gold in golds:
            topic_id = by_title[gold.title]
            context = _expect(
                ledger,
                api.post(
                    f"/api/v1/topics/{topic_id}/contexts",
                    json={"source_label": "Guía clínica (extracto)", "text": gold.context},
                ),
                201,
            ).json()
            topics[topic_id] = EnrolledTopic(gold, topic_id, int(context["id"]))
    for topic in topics.values():
        stock.store(
            learner_id,
            card_body(
                topic.gold,
                "battlecard",
                topic_id=topic.topic_id,
                context_id=topic.context_id,
                angle_id=None,
                perspective=None,
            ),
        )
        stock.top_up(learner_id, topic, None, None)
    return Learner(learner_id, token, topics)


class StudySession:
    """One learner studying through nginx, racing itself through the gateways on schedule."""

    def __init__(
        self, cluster: Cluster, learner: Learner, ledger: Ledger, stock: CardStock, start: datetime, seed: int
    ) -> None:
        self.learner = learner
        self.ledger = ledger
        self.stock = stock
        self.now = start
        self.rng = random.Random(seed)
        auth = {"Authorization": f"Bearer {learner.token}"}
        self.proxy = httpx.Client(base_url=cluster.proxy_url, headers=auth, timeout=30.0)
        self.gateways = [
            httpx.Client(base_url=url, headers=auth, timeout=30.0) for url in cluster.gateway_urls
        ]
        self.pair = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"race-{learner.learner_id}")

    # ------------------------------------------------------------------ the loop

    def run(self, steps: int, deadline: float) -> int:
        """Runs up to `steps` study steps before `deadline` (monotonic); returns the steps done."""
        try:
            for step in range(steps):
                if time.monotonic() > deadline:
                    return step
                study = self._next()
                if study["status"] == "done":
                    if not self._advance_clock():
                        return step
                    continue
                if study["status"] != "ready":
                    raise UnexpectedAnswer(f"learner {self.learner.learner_id}: next answered {study}")
                body = self._answer(study, step)
                if step % 4 == 1:
                    outcome = self._duplicate_race(body)
                elif step % 4 == 3:
                    outcome = self._conflict_race(body)
                else:
                    outcome = self._review(body, retry=step % 3 == 0)
                self._restock(study, outcome)
                if step % 5 == 4:
                    self._undo(outcome)
            return steps
        finally:
            self.close()

    def close(self) -> None:
        self.pair.shutdown(wait=True)
        self.proxy.close()
        for client in self.gateways:
            client.close()

    # ------------------------------------------------------------------ requests

    def _clock(self) -> dict[str, str]:
        return {CLOCK_HEADER: self.now.isoformat()}

    def _next(self) -> dict[str, Any]:
        return _expect(self.ledger, self.proxy.get("/api/v1/study/next", headers=self._clock()), 200).json()

    def _answer(self, study: dict[str, Any], step: int) -> dict[str, Any]:
        card = study["cards"][-1]
        assert card["id"] == study["card_to_grade_id"], study
        body: dict[str, Any] = {
            "card_id": card["id"],
            "grade": self.rng.choices(GRADES, weights=GRADE_WEIGHTS)[0],
            "state_version": study["item"]["state"]["version"],
            "idempotency_key": f"learner{self.learner.learner_id}-step{step}-{uuid.uuid4().hex}",
            "duration_ms": self.rng.randint(2_000, 60_000),
        }
        if card["kind"] == "drill_mcq":
            body["chosen_option"] = self.rng.randrange(len(card["payload"]["options"]))
        else:
            body["answer"] = "Respuesta libre del estudiante."
        return body

    def _post_review(self, client: httpx.Client, body: dict[str, Any], *allowed: int) -> httpx.Response:
        return _expect(
            self.ledger, client.post("/api/v1/study/reviews", json=body, headers=self._clock()), *allowed
        )

    def _acknowledge(self, body: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
        if outcome["grade"] != body["grade"] or outcome["state"]["version"] != body["state_version"] + 1:
            raise UnexpectedAnswer(f"review {body} answered {outcome}")
        self.ledger.ack(self.learner.learner_id, body["idempotency_key"], int(outcome["review_id"]))
        return outcome

    def _review(self, body: dict[str, Any], *, retry: bool) -> dict[str, Any]:
        outcome = self._acknowledge(body, self._post_review(self.proxy, body, 200).json())
        if outcome["replayed"]:
            raise UnexpectedAnswer(f"a first submit came back replayed: {outcome}")
        self.ledger.event("review")
        if retry:
            again = self._post_review(self.proxy, body, 200).json()
            if not again["replayed"] or again["review_id"] != outcome["review_id"]:
                raise UnexpectedAnswer(f"a retry of review {outcome['review_id']} answered {again}")
            self.ledger.event("retry_replayed")
        return outcome

    def _together(
        self, first: tuple[httpx.Client, dict[str, Any]], second: tuple[httpx.Client, dict[str, Any]]
    ) -> list[httpx.Response]:
        """Sends two reviews at the same instant, one per gateway; both answers, in order."""
        barrier = threading.Barrier(2)

        def send(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
            barrier.wait(timeout=30)
            return client.post("/api/v1/study/reviews", json=body, headers=self._clock())

        futures = [self.pair.submit(send, *first), self.pair.submit(send, *second)]
        answers = [f.result(timeout=60) for f in futures]
        for answer in answers:
            self.ledger.status(answer.status_code)
        return answers

    def _record(self, sent: list[tuple[dict[str, Any], httpx.Response]]) -> None:
        """Books every answer before judging the race, so the audit sees what a client was told."""
        for body, answer in sent:
            if answer.status_code == 200:
                self.ledger.ack(
                    self.learner.learner_id, body["idempotency_key"], int(answer.json()["review_id"])
                )
            elif answer.status_code == 409:
                self.ledger.refuse(self.learner.learner_id, body["idempotency_key"])

    def _duplicate_race(self, body: dict[str, Any]) -> dict[str, Any]:
        a, b = self._together((self.gateways[0], body), (self.gateways[1], body))
        self._record([(body, a), (body, b)])
        if (a.status_code, b.status_code) != (200, 200):
            raise UnexpectedAnswer(
                f"the same review sent twice answered {a.status_code} {a.text[:400]} / "
                f"{b.status_code} {b.text[:400]}"
            )
        first, second = a.json(), b.json()
        replayed = sorted([first["replayed"], second["replayed"]])
        if first["review_id"] != second["review_id"] or replayed != [False, True]:
            raise UnexpectedAnswer(f"the same review sent twice was not stored once: {first} / {second}")
        self.ledger.event("duplicate_race")
        return self._acknowledge(body, first if not first["replayed"] else second)

    def _conflict_race(self, body: dict[str, Any]) -> dict[str, Any]:
        rival = {
            **body,
            "grade": self.rng.choice([g for g in GRADES if g != body["grade"]]),
            "idempotency_key": f"{body['idempotency_key']}-rival",
        }
        a, b = self._together((self.gateways[0], body), (self.gateways[1], rival))
        self._record([(body, a), (rival, b)])
        if sorted([a.status_code, b.status_code]) != [200, 409]:
            raise UnexpectedAnswer(
                f"two answers to one version answered {a.status_code} {a.text[:400]} / "
                f"{b.status_code} {b.text[:400]}"
            )
        (winner, winner_body), (loser, _) = sorted(
            [(a, body), (b, rival)], key=lambda pair: pair[0].status_code
        )
        if loser.json()["error"]["type"] != "stale_version":
            raise UnexpectedAnswer(f"the losing answer was refused for another reason: {loser.text}")
        self.ledger.event("conflict_race")
        outcome = self._acknowledge(winner_body, winner.json())
        if outcome["replayed"]:
            raise UnexpectedAnswer(f"the winning answer came back replayed: {outcome}")
        return outcome

    def _undo(self, outcome: dict[str, Any]) -> None:
        undone = _expect(
            self.ledger, self.proxy.post("/api/v1/study/undo", headers=self._clock()), 200
        ).json()
        if undone["review_id"] != outcome["review_id"]:
            raise UnexpectedAnswer(f"undo after review {outcome['review_id']} undid {undone}")
        self.ledger.undo(int(undone["review_id"]))
        self.ledger.event("undo")

    # ------------------------------------------------------------------ cards and time

    def _restock(self, study: dict[str, Any], outcome: dict[str, Any]) -> None:
        """Keeps drills in stock for the item just reviewed and for a new angle (the test's generator)."""
        topic = self.learner.topics[int(study["item"]["topic"]["id"])]
        angle = study["item"].get("angle")
        if angle:
            self.stock.top_up(self.learner.learner_id, topic, int(angle["id"]), angle["perspective"])
        else:
            self.stock.top_up(self.learner.learner_id, topic, None, None)
        created = outcome.get("angle_created")
        if created:
            self.ledger.event("angle_created")
            self.stock.top_up(self.learner.learner_id, topic, int(created["id"]), created["perspective"])

    def _advance_clock(self) -> bool:
        """Moves the learner's clock just past the earliest future due date; False if none is scheduled."""
        topics = _expect(self.ledger, self.proxy.get("/api/v1/topics", headers=self._clock()), 200).json()
        angles = _expect(
            self.ledger,
            self.proxy.get("/api/v1/angles", params={"status": "active"}, headers=self._clock()),
            200,
        ).json()
        due = [
            datetime.fromisoformat(entry["srs"]["due_at"])
            for entry in [*topics["data"], *angles["data"]]
            if entry.get("srs") and entry["srs"].get("due_at")
        ]
        future = [when for when in due if when > self.now]
        if not future:
            return False
        self.now = min(future) + timedelta(minutes=1)
        self.ledger.event("clock_jump")
        return True
