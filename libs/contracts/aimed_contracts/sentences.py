"""A context split into sentences: the units a card's `sources` copy and its claims cite.

`split_sentences(text)` uses pySBD's Spanish rules (abbreviations, decimals such as
"0,5 mg.", initials) and treats every line break as a boundary too, so bullet points
("• criterio", "- criterio") and the rows of a table flattened into text are sentences
of their own. pySBD breaks after a few abbreviations common in Spanish guidelines
("p. ej.", "i.v.", "aprox.", "Dra."); a piece that starts with a lower-case letter
continues the sentence before it (a Spanish sentence starts with a capital, a digit, a
symbol or an opening mark), and a piece after a title ("Dr.", "Dra.") does too. The
same rule joins prose hard-wrapped across lines ("...se recomienda\nanticoagular...").

Every sentence returned is a verbatim substring of `text` (only its surrounding
whitespace is trimmed), so it can be offered to a model as a source to copy and found
again by the grounding gate. The generator builds its `sources` enum from this
function: keep the signature stable.
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache

import pysbd
from pysbd.lang.spanish import Spanish

# Titles before a name: pySBD ends a sentence after them when the name is capitalised.
_TITLE_END = re.compile(r"(?:^|\s)(?:Dr|Dra|Sr|Sra|Srta|Prof|Profa)\.\s*$")


# A sentence can end only at one of these followed by more text on the line.
_INNER_STOP = re.compile(r"[.!?…;:](?=.*\w)")

# pySBD's Segmenter keeps the text being split on the instance; the generator splits in
# worker threads, so one split at a time.
_SEGMENTER_LOCK = threading.Lock()


@lru_cache(maxsize=4096)
def _pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    # pySBD builds a pattern per abbreviation and per match: more than `re`'s own cache of
    # 512 keeps, so it compiled them again and again.
    return re.compile(pattern, flags)


_CASE_ODD = frozenset("İıſ")
_PLAIN = re.compile(r"[^\W\d_]+")  # letters only: no pattern syntax in the abbreviation


class _AbbreviationReplacer(Spanish.AbbreviationReplacer):  # type: ignore[misc]
    """pySBD's Spanish abbreviation step with the same result, less repeated work.

    pySBD looks up every abbreviation of its list ("de", "en", "con", "c", "p"…) at every
    word start of the line, and for each occurrence rewrites the whole line with the same
    substitution (a "." after the abbreviation becomes "∯"). A substitution only turns
    periods into "∯", so running it again in the same abbreviation's loop changes nothing:
    each distinct one runs once here, and none when the abbreviation is never followed by
    ".". Checked against pySBD's own class on every line of the worked example, the
    training rows and the labeled corpus (tests/contracts/test_grounding_cost.py).
    Patterns are compiled once per process instead of through `re`'s cache.
    """

    def search_for_abbreviations_in_string(self, text: str) -> str:
        lowered = text.lower()
        # Only "." right after an abbreviation is rewritten: an abbreviation written as
        # plain letters that is never followed by "." leaves the line as it is. (Letters
        # that `re.IGNORECASE` matches but `lower()` does not map, İ ı ſ, turn this off.)
        exact = not _CASE_ODD.isdisjoint(text)
        for abbr in self.lang.Abbreviation.ABBREVIATIONS:
            stripped = abbr.strip()
            if stripped not in lowered:
                continue
            if not exact and stripped + "." not in lowered and _PLAIN.fullmatch(stripped):
                continue
            abbrev_match = _pattern(rf"(?:^|\s|\r|\n){stripped}", re.IGNORECASE).findall(text)
            if not abbrev_match:
                continue
            char_array = _pattern(r"(?<={" + str(re.escape(stripped)) + "} ).{1}").findall(text)
            done: set[str] = set()
            for ind, match in enumerate(abbrev_match):
                written = match.strip()
                if written in done:
                    continue
                char = char_array[ind] if ind < len(char_array) else ""
                lowered_match = written.lower()
                prepositive = lowered_match in self.lang.Abbreviation.PREPOSITIVE_ABBREVIATIONS
                if char.isupper() and not prepositive:
                    continue  # as in pySBD: before a capital the period may end the sentence
                text = self._replace_period(text, written, prepositive)
                if "∯" not in written:
                    done.add(written)
        return text

    def _replace_period(self, text: str, written: str, prepositive: bool) -> str:
        if prepositive:
            pattern = rf"(?<=\s{written})\.(?=(\s|:\d+))"
        elif written.lower() in self.lang.Abbreviation.NUMBER_ABBREVIATIONS:
            pattern = rf"(?<=\s{written})\.(?=(\s\d|\s+\())"
        else:
            pattern = rf"(?<=\s{re.escape(written)})\.(?=((\.|\:|-|\?|,)|(\s([a-z]|I\s|I'm|I'll|\d|\())))"
        # A space in front stands for the start of the line, as in pySBD.
        return _pattern(pattern).sub("∯", " " + text)[1:]


class _Spanish(Spanish):  # type: ignore[misc]
    AbbreviationReplacer = _AbbreviationReplacer


@cache
def _segmenter() -> pysbd.Segmenter:
    # clean=False keeps the text as written, so the pieces concatenate back to it.
    segmenter = pysbd.Segmenter(language="es", clean=False, char_span=False)
    segmenter.language_module = _Spanish
    return segmenter


def _continues(previous: str, piece: str) -> bool:
    if not previous.strip():
        return False
    if _TITLE_END.search(previous):
        return True
    return piece.lstrip()[:1].islower()


def _pieces(line: str) -> list[str]:
    """pySBD's pieces of one line, cut from the line itself so nothing is altered."""
    if not _INNER_STOP.search(line):
        # No stop before the line's last word: pySBD would return the line whole (a bullet,
        # a table row, a one-sentence line), and it costs milliseconds per call.
        return [line]
    pieces: list[str] = []
    cursor = 0
    with _SEGMENTER_LOCK:
        # The processor's sentences, without `segment`'s char-span step: that step compiles a
        # new pattern per sentence (evicting pySBD's own patterns from `re`'s cache), and the
        # pieces are cut from the line below anyway.
        segments = _segmenter().processor(line).process()
    for segment in segments:
        found = line.find(segment.strip(), cursor)
        if found < 0:  # pySBD changed the text: keep the rest of the line whole
            break
        end = found + len(segment.strip())
        pieces.append(line[cursor:end])
        cursor = end
    if cursor < len(line):
        if pieces and not line[cursor:].strip():
            pieces[-1] += line[cursor:]
        else:
            pieces.append(line[cursor:])
    return pieces


def split_sentences(text: str) -> list[str]:
    """The sentences and lines of `text`, in order, trimmed, none empty."""
    return list(_split(text))


@lru_cache(maxsize=1024)
def _split(text: str) -> tuple[str, ...]:
    # pySBD takes milliseconds per paragraph: a context is split once per process.
    merged: list[str] = []
    for line in text.splitlines(keepends=True):
        for piece in _pieces(line):
            if merged and _continues(merged[-1], piece):
                merged[-1] += piece
            else:
                merged.append(piece)
    return tuple(stripped for piece in merged if (stripped := piece.strip()))
