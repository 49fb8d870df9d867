"""The learner's view of a card being written: estimate, time left, and when the model is slow."""

from __future__ import annotations

from aimed_gateway.generation_progress import SLOW_ETA_S, TYPICAL_TOKENS, card_progress


def test_the_estimate_is_the_kinds_usual_length_capped_by_max_tokens() -> None:
    writing = {"state": "writing", "attempt": 1, "tokens": 100, "max_tokens": 1536, "tokens_per_s": 20.0}
    progress = card_progress("battlecard", writing)
    assert progress.estimated_tokens == TYPICAL_TOKENS["battlecard"]
    assert progress.eta_s == (TYPICAL_TOKENS["battlecard"] - 100) / 20
    assert not progress.slow
    assert card_progress("battlecard", {**writing, "max_tokens": 300}).estimated_tokens == 300


def test_past_the_usual_length_the_bar_stays_short_of_full() -> None:
    progress = card_progress("drill_mcq", {"state": "writing", "tokens": 600, "tokens_per_s": 30.0})
    assert progress.tokens < progress.estimated_tokens
    capped = card_progress("drill_mcq", {"state": "writing", "tokens": 600, "max_tokens": 610})
    assert capped.estimated_tokens == 610


def test_a_slow_model_is_said_to_be_slow_and_a_queued_one_has_no_speed() -> None:
    slow = card_progress("drill_open", {"state": "writing", "tokens": 10, "tokens_per_s": 2.5})
    assert slow.slow and slow.eta_s is not None and slow.eta_s > SLOW_ETA_S
    queued = card_progress("battlecard", {"state": "queued", "tokens": 0, "tokens_per_s": None})
    assert (queued.state, queued.tokens_per_s, queued.eta_s, queued.slow) == ("queued", None, None, False)
