"""Guideline PDFs → titled sections of plain text, ready to become topic contexts.

Text comes from pdfplumber (over pdfminer.six): it gives every word with its position, font
and size, and finds ruled tables, which is what splitting by layout needs. pypdf's
`extract_text` returns a page's text without positions or tables, so columns would
interleave and table cells would run together.

Per page, in this order:
1. Lines repeated in the top or bottom margin on at least half the pages (two pages or more;
   digits ignored, so "Página 3" matches "Página 4") are running headers and footers: dropped.
2. Ruled tables become readable text, one row per line, cells joined by " | "; their words
   are not read a second time as prose.
3. Two columns: a vertical gutter in the middle of the page that (almost) no word crosses.
   Rows that do cross it (a full-width title) are read first (or last, below the columns),
   then the left column, then the right one.
4. Headings start sections: a short line set larger than the body text (+1.5 pt), or in bold
   when the body is not. Lines of one paragraph are joined; a new paragraph starts at a
   vertical gap, a table, or a column or page break after a sentence end.

A PDF without any text layer (a scan) is refused with a message saying so: no OCR here.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from aimed_contracts.errors import InvalidInput

MARGIN_SHARE = 0.12  # top and bottom share of the page where running headers/footers live
HEADING_SIZE_STEP = 1.5
HEADING_MAX_CHARS = 120
COLUMN_GAP = 10.0  # points: wider than a word space, narrower than a column gutter
LEADING_TEXT_TITLE = "Texto inicial"
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})
_SENTENCE_END = (".", ":", ";", "!", "?", "»", '"')


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    text: str
    first_page: int
    last_page: int


@dataclass(frozen=True, slots=True)
class GuidelineDocument:
    pages: int
    sections: list[Section]
    dropped_lines: list[str]
    pages_without_text: list[int]


@dataclass(slots=True)
class _Line:
    page: int
    block: int  # reading-order block within the page: full-width top, left, right, rest
    top: float
    bottom: float
    text: str
    size: float
    bold: bool
    is_table: bool = False


@dataclass(frozen=True, slots=True)
class _Page:
    """What one page gives: its words (with font and size) and its ruled tables (box, rows)."""

    number: int
    width: float
    height: float
    words: list[dict[str, Any]]
    tables: list[tuple[tuple[float, float, float, float], list[list[str | None]]]]


@dataclass(slots=True)
class _Draft:
    title: str
    first_page: int
    last_page: int
    paragraphs: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text.translate(_LIGATURES))).strip()


def _rows(words: list[dict[str, Any]], tolerance: float = 2.5) -> list[list[dict[str, Any]]]:
    """Words grouped into visual rows (same baseline), each row left to right."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) <= tolerance:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _row_text(row: list[dict[str, Any]]) -> str:
    return _clean(" ".join(w["text"] for w in row))


def _margin_key(row: list[dict[str, Any]]) -> str:
    return re.sub(r"\d+", "#", _row_text(row).casefold())


def _in_margin(row: list[dict[str, Any]], height: float) -> bool:
    top, bottom = float(row[0]["top"]), float(row[0]["bottom"])
    return top < height * MARGIN_SHARE or bottom > height * (1 - MARGIN_SHARE)


def _repeated_margin_keys(pages: list[_Page]) -> set[str]:
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_margin_key(row) for row in _rows(page.words) if _in_margin(row, page.height)})
    needed = max(2, math.ceil(len(pages) / 2))
    return {key for key, count in seen.items() if count >= needed and key}


def _gutter(words: list[dict[str, Any]], width: float) -> float | None:
    """The x of the gap between two columns, if the page has two: the middle of the widest strip
    (within the middle 40 % of the page) that at most a few words cross, and that has text on both sides."""
    if len(words) < 20:
        return None
    cover = [0] * (int(width) + 2)
    for word in words:
        for x in range(max(0, int(word["x0"])), min(len(cover), int(word["x1"]) + 1)):
            cover[x] += 1
    tolerance = max(2, len(words) // 50)
    best: tuple[int, int] | None = None
    start = None
    for x in range(int(width * 0.3), int(width * 0.7) + 1):
        if cover[x] <= tolerance:
            start = x if start is None else start
            if best is None or x - start > best[1] - best[0]:
                best = (start, x)
        else:
            start = None
    if best is None or best[1] - best[0] < 8:
        return None
    # A ragged column edge also has low cover: centre on the emptiest part of the strip.
    lowest = min(cover[best[0] : best[1] + 1])
    empty = [x for x in range(best[0], best[1] + 1) if cover[x] == lowest]
    middle = (empty[0] + empty[-1]) / 2
    left = sum(1 for w in words if w["x1"] <= middle)
    right = sum(1 for w in words if w["x0"] >= middle)
    if min(left, right) < 0.2 * len(words):
        return None
    return middle


def _spans(row: list[dict[str, Any]], middle: float) -> bool:
    """A row crosses the gutter if a word does, or if its words continue across it at word spacing."""
    if any(w["x0"] < middle < w["x1"] for w in row):
        return True
    left = [w["x1"] for w in row if w["x1"] <= middle]
    right = [w["x0"] for w in row if w["x0"] >= middle]
    return bool(left and right) and min(right) - max(left) < COLUMN_GAP


def _line(page: int, block: int, row: list[dict[str, Any]]) -> _Line:
    return _Line(
        page=page,
        block=block,
        top=min(w["top"] for w in row),
        bottom=max(w["bottom"] for w in row),
        text=_row_text(row),
        size=max(float(w["size"]) for w in row),
        bold=all(re.search(r"bold|black|heavy", str(w["fontname"]), re.I) for w in row),
    )


def _table_line(
    page: int, block: int, bbox: tuple[float, float, float, float], cells: list[list[str | None]]
) -> _Line | None:
    rows = [" | ".join(_clean(cell or "") for cell in row) for row in cells]
    text = "\n".join(row for row in rows if row.strip(" |"))
    if not text:
        return None
    return _Line(
        page=page, block=block, top=bbox[1], bottom=bbox[3], text=text, size=0, bold=False, is_table=True
    )


def _page_lines(page: _Page, drop: set[str]) -> tuple[list[_Line], list[str]]:
    page_number = page.number
    dropped: list[str] = []
    kept: list[dict[str, Any]] = []
    for row in _rows(page.words):
        if _in_margin(row, page.height) and _margin_key(row) in drop:
            dropped.append(_row_text(row))
        else:
            kept.extend(row)

    def inside_table(word: dict[str, Any]) -> bool:
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b, _ in page.tables)

    prose = [w for w in kept if not inside_table(w)]
    middle = _gutter(prose, page.width)
    lines: list[_Line] = []
    if middle is None:
        lines = [_line(page_number, 0, row) for row in _rows(prose)]
    else:
        spanning = [row for row in _rows(prose) if _spans(row, middle)]
        spanning_ids = {id(w) for row in spanning for w in row}
        columns = [w for w in prose if id(w) not in spanning_ids]
        first_column_top = min((w["top"] for w in columns), default=math.inf)
        for row in spanning:
            lines.append(_line(page_number, 0 if row[0]["top"] < first_column_top else 3, row))
        for block, side in (
            (1, [w for w in columns if (w["x0"] + w["x1"]) / 2 < middle]),
            (2, [w for w in columns if (w["x0"] + w["x1"]) / 2 >= middle]),
        ):
            lines.extend(_line(page_number, block, row) for row in _rows(side))
    first_column_top = min((ln.top for ln in lines if ln.block in (1, 2)), default=math.inf)
    for bbox, cells in page.tables:
        x0, top, x1, _ = bbox
        if middle is None:
            block = 0
        elif x0 < middle < x1:
            block = 0 if top < first_column_top else 3
        else:
            block = 1 if x1 <= middle else 2
        line = _table_line(page_number, block, bbox, cells)
        if line is not None:
            lines.append(line)
    lines.sort(key=lambda ln: (ln.block, ln.top))
    return lines, dropped


def _heading_rule(lines: list[_Line]) -> tuple[float, bool]:
    """The body's font size (the size most characters use) and whether bold marks headings."""
    sizes: Counter[float] = Counter()
    bold_chars = 0
    total = 0
    for line in lines:
        if not line.is_table:
            sizes[round(line.size, 1)] += len(line.text)
            total += len(line.text)
            bold_chars += len(line.text) if line.bold else 0
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    return body, total > 0 and bold_chars / total < 0.5


def _is_heading(line: _Line, body_size: float, bold_marks: bool) -> bool:
    if line.is_table or len(line.text) > HEADING_MAX_CHARS or not re.search(r"[^\W\d_]", line.text):
        return False
    return line.size >= body_size + HEADING_SIZE_STEP or (bold_marks and line.bold and line.size >= body_size)


def _sections(lines: list[_Line]) -> list[Section]:
    body_size, bold_marks = _heading_rule(lines)
    drafts: list[_Draft] = []
    previous: _Line | None = None
    for line in lines:
        if _is_heading(line, body_size, bold_marks):
            drafts.append(_Draft(title=line.text, first_page=line.page, last_page=line.page))
            previous = None
            continue
        if not drafts:
            drafts.append(_Draft(title=LEADING_TEXT_TITLE, first_page=line.page, last_page=line.page))
        draft = drafts[-1]
        draft.last_page = line.page
        if previous is None or line.is_table or previous.is_table or not draft.paragraphs:
            joins = False
        elif (line.page, line.block) != (previous.page, previous.block):
            joins = not previous.text.endswith(_SENTENCE_END)
        else:
            height = max(previous.bottom - previous.top, 1.0)
            joins = line.top - previous.bottom <= 0.8 * height
        if joins:
            last = draft.paragraphs[-1]
            draft.paragraphs[-1] = last[:-1] + line.text if last.endswith("-") else f"{last} {line.text}"
        else:
            draft.paragraphs.append(line.text)
        previous = line
    return [
        Section(title=d.title, text="\n\n".join(d.paragraphs), first_page=d.first_page, last_page=d.last_page)
        for d in drafts
        if d.paragraphs
    ]


def _unreadable(exc: Exception) -> InvalidInput:
    return InvalidInput(
        f"The PDF could not be read ({type(exc).__name__}); it may be damaged. Export it again and retry.",
        error_type="pdf_unreadable",
    )


def _read_page(number: int, page: Any) -> _Page:
    """Parses one page once, then frees pdfplumber's cache of it (memory stays one page deep)."""
    snapshot = _Page(
        number=number,
        width=float(page.width),
        height=float(page.height),
        words=page.extract_words(extra_attrs=["size", "fontname"]),
        tables=[(tuple(t.bbox), t.extract()) for t in page.find_tables()],
    )
    page.close()
    return snapshot


def extract_sections(data: bytes, *, max_pages: int) -> GuidelineDocument:
    """Reads a whole PDF, all or nothing: any unreadable page refuses the file (422)."""
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(
            "The file is not a PDF (it does not start with '%PDF-'); upload the guideline as a PDF.",
            error_type="pdf_unreadable",
        )
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            count = len(pdf.pages)
            if count > max_pages:
                raise InvalidInput(
                    f"The PDF has {count} pages; the limit is {max_pages}. "
                    "Split it, or upload the chapter you need.",
                    error_type="pdf_too_many_pages",
                    detail={"pages": count, "max_pages": max_pages},
                )
            pages = [_read_page(number, page) for number, page in enumerate(pdf.pages, start=1)]
    except InvalidInput:
        raise
    except PdfminerException as exc:
        # pdfplumber wraps pdfminer's error as its first argument.
        if exc.args and isinstance(exc.args[0], PDFPasswordIncorrect | PDFEncryptionError):
            raise InvalidInput(
                "The PDF is password-protected; save an unprotected copy and upload that.",
                error_type="pdf_encrypted",
            ) from exc
        raise _unreadable(exc) from exc
    except Exception as exc:  # pdfminer raises many unrelated types on a damaged file
        raise _unreadable(exc) from exc
    drop = _repeated_margin_keys(pages)
    lines: list[_Line] = []
    dropped: list[str] = []
    empty: list[int] = []
    for page in pages:
        page_lines, page_dropped = _page_lines(page, drop)
        lines.extend(page_lines)
        dropped.extend(page_dropped)
        if not page_lines:
            empty.append(page.number)
    if not lines:
        raise InvalidInput(
            f"The PDF has no text layer: its {count} page(s) are images (a scan). Text cannot be read "
            "from it here (no OCR): use a PDF exported with text, or paste the text.",
            error_type="pdf_without_text",
            detail={"pages": count},
        )
    return GuidelineDocument(
        pages=count,
        sections=_sections(lines),
        dropped_lines=sorted(set(dropped)),
        pages_without_text=empty,
    )
