"""Anki export: the learner's generated cards as an .apkg (genanki), one deck per modulo.

Ids are derived from the learner, topic and card ids, so exporting twice gives the
same deck, model and note ids (guids) and Anki updates notes instead of duplicating
them. Card Markdown is untrusted model output: it is rendered with raw HTML disabled,
and modulo names become deck and tag names only after `deck_segment` / `tag_name`.

Cards that failed the grounding gate (stored under the `flag` policy) are left out
unless asked for; then they carry the tag `no_verificada` and the gate's problems on
the back, so nobody studies them in Anki as if they were checked.
"""

from __future__ import annotations

import hashlib
import html
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import genanki
from markdown_it import MarkdownIt

ANSWER_HEADINGS = ("## Respuesta correcta", "## Respuesta modelo")
ROOT_DECK = "AI-Med"
UNVERIFIED_TAG = "no_verificada"
_markdown = MarkdownIt("commonmark", {"html": False})


def stable_id(*parts: object) -> int:
    """A 31-bit positive id from the parts (Anki deck and model ids must fit in an int64; keep them small)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


MODEL = genanki.Model(
    stable_id("aimed", "model", 1),
    "AI-Med Learning",
    fields=[{"name": "Frente"}, {"name": "Reverso"}, {"name": "Tema"}],
    templates=[
        {
            "name": "Tarjeta",
            "qfmt": "{{Frente}}",
            "afmt": "{{FrontSide}}<hr id=answer>{{Reverso}}",
        }
    ],
    css=(
        ".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
        ".no-verificada { border: 2px solid #b00020; padding: 0.5em; margin-bottom: 1em; }"
    ),
)


def _visible_text(text: str) -> str:
    """NFC, control characters dropped, every run of Unicode spaces made one space, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def deck_segment(modulo: str) -> str:
    """A modulo as one level of an Anki deck name.

    `::` would open a sub-deck, so colon runs become one colon; quotes would break Anki's
    `deck:"…"` searches and angle brackets look like HTML, so they become look-alikes.
    """
    text = _visible_text(modulo)
    text = re.sub(r":{2,}", ":", text).replace('"', "'").replace("<", "‹").replace(">", "›")
    return text.strip(" :") or "General"


def tag_name(text: str) -> str:
    """A tag Anki keeps as one plain tag: letters, digits, `.`, `-`, `_` (no spaces, `::`, quotes, HTML)."""
    return re.sub(r"[^\w.-]+", "_", _visible_text(text)).strip("_") or "sin_modulo"


def front_and_back(markdown: str) -> tuple[str, str]:
    """Splits a card's Markdown at its answer heading: the question before, the answer after."""
    for heading in ANSWER_HEADINGS:
        index = markdown.find(heading)
        if index >= 0:
            return markdown[:index], markdown[index:]
    title, _, rest = markdown.partition("\n")
    return title, rest


def is_flagged(card: Mapping[str, Any]) -> bool:
    """Whether the grounding gate refused the card (it was stored under the `flag` policy)."""
    report = card.get("grounding_report")
    return isinstance(report, Mapping) and report.get("valid") is False


def gate_warning(report: Mapping[str, Any]) -> str:
    """The back-of-card warning for a flagged card: what the gate found, as escaped HTML."""
    issues = report.get("issues") if isinstance(report.get("issues"), list) else []
    # `message_es` is the gate's explanation for the learner; reports stored before it existed
    # only have the developers' English `message`, still better than no explanation.
    lines = (
        f"{issue.get('field') or ''}: {issue.get('message_es') or issue.get('message') or ''}"
        if isinstance(issue, Mapping)
        else str(issue)
        for issue in issues
    )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (
        '<div class="no-verificada"><strong>No verificada.</strong> Esta tarjeta no pasó la '
        "comprobación de fuentes: revísala con la guía antes de estudiarla."
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )


class AnkiPackage:
    """Collects notes page by page (topics known up front) and writes the .apkg to a temp file."""

    def __init__(
        self, learner_id: str, topics: Iterable[Mapping[str, Any]], *, include_flagged: bool
    ) -> None:
        self.learner_id = learner_id
        self.topics = {str(t["id"]): t for t in topics}
        self.include_flagged = include_flagged
        self.decks: dict[str, genanki.Deck] = {}
        self.notes = 0
        self.flagged_included = 0
        self.flagged_left_out = 0

    def _deck(self, modulo: str) -> genanki.Deck:
        segment = deck_segment(modulo)
        deck = self.decks.get(segment)
        if deck is None:
            deck = genanki.Deck(
                stable_id("aimed", "deck", self.learner_id, segment), f"{ROOT_DECK}::{segment}"
            )
            self.decks[segment] = deck
        return deck

    def add_cards(self, cards: Iterable[Mapping[str, Any]]) -> None:
        for card in cards:
            topic = self.topics.get(str(card["topic_id"]))
            if topic is None:
                continue
            flagged = is_flagged(card)
            if flagged and not self.include_flagged:
                self.flagged_left_out += 1
                continue
            modulo = str(topic.get("modulo") or "General")
            front, back = front_and_back(str(card["markdown"]))
            back_html = _markdown.render(back)
            tags = [tag_name(modulo), tag_name(str(card["kind"]))]
            if flagged:
                back_html = gate_warning(card["grounding_report"]) + back_html
                tags.append(UNVERIFIED_TAG)
                self.flagged_included += 1
            self._deck(modulo).add_note(
                genanki.Note(
                    model=MODEL,
                    fields=[_markdown.render(front), back_html, _markdown.renderInline(str(topic["title"]))],
                    tags=tags,
                    guid=genanki.guid_for("aimed", self.learner_id, topic["id"], card["id"]),
                )
            )
            self.notes += 1

    def write(self) -> Path:
        """Writes the package to a new temp file and returns its path; the caller deletes it."""
        decks = list(self.decks.values()) or [
            genanki.Deck(stable_id("aimed", "deck", self.learner_id), ROOT_DECK)
        ]
        with tempfile.NamedTemporaryFile(prefix="aimed-anki-", suffix=".apkg", delete=False) as handle:
            path = Path(handle.name)
        try:
            genanki.Package(decks).write_to_file(str(path))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path
