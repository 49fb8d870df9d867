"""Anki export: the learner's generated cards as an .apkg (genanki).

Ids are derived from the learner, topic and card ids, so exporting twice gives the
same deck, model and note ids (guids) and Anki updates notes instead of duplicating
them. Card Markdown is untrusted model output: it is rendered with raw HTML disabled.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import genanki
from markdown_it import MarkdownIt

ANSWER_HEADINGS = ("## Respuesta correcta", "## Respuesta modelo")
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
    css=".card { font-family: sans-serif; font-size: 18px; text-align: left; }",
)


def front_and_back(markdown: str) -> tuple[str, str]:
    """Splits a card's Markdown at its answer heading: the question before, the answer after."""
    for heading in ANSWER_HEADINGS:
        index = markdown.find(heading)
        if index >= 0:
            return markdown[:index], markdown[index:]
    title, _, rest = markdown.partition("\n")
    return title, rest


def _tag(text: str) -> str:
    return "_".join(text.split()) or "sin_modulo"


def build_apkg(learner_id: str, topics: list[dict[str, Any]], cards: list[dict[str, Any]]) -> bytes:
    topics_by_id = {str(t["id"]): t for t in topics}
    decks: dict[str, genanki.Deck] = {}
    for card in sorted(cards, key=lambda c: str(c["id"])):
        topic = topics_by_id.get(str(card["topic_id"]))
        if topic is None:
            continue
        modulo = str(topic.get("modulo") or "General")
        deck = decks.get(modulo)
        if deck is None:
            deck = genanki.Deck(stable_id("aimed", "deck", learner_id, modulo), f"AI-Med::{modulo}")
            decks[modulo] = deck
        front, back = front_and_back(str(card["markdown"]))
        deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=[
                    _markdown.render(front),
                    _markdown.render(back),
                    _markdown.renderInline(str(topic["title"])),
                ],
                tags=[_tag(modulo), str(card["kind"])],
                guid=genanki.guid_for("aimed", learner_id, topic["id"], card["id"]),
            )
        )
    package = genanki.Package(
        list(decks.values()) or [genanki.Deck(stable_id("aimed", "deck", learner_id), "AI-Med")]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "aimed.apkg"
        package.write_to_file(path)
        buffer = io.BytesIO(path.read_bytes())
    return buffer.getvalue()
