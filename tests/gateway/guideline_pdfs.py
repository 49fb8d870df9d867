"""Guideline PDFs made by the tests with reportlab: one and two columns, a ruled table, a
header and footer on every page, accented Spanish, and a scanned page (an image, no text)."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Table, TableStyle

WIDTH, HEIGHT = A4
MARGIN = 56
HEADER = "Guía de práctica clínica · Neumonía adquirida en la comunidad"
BODY_FONT, BODY_SIZE, LEADING = "Helvetica", 10, 13

INTRO = (
    "La neumonía adquirida en la comunidad es una infección aguda del parénquima pulmonar. "
    "El diagnóstico exige un infiltrado nuevo en la radiografía de tórax junto con síntomas "
    "respiratorios como tos, expectoración o disnea."
)
SEVERITY = (
    "La escala CURB-65 estima la gravedad: confusión, urea mayor de 7 mmol/L, frecuencia "
    "respiratoria de 30 o más, presión arterial baja y edad de 65 años o más. Con una puntuación "
    "de 0 a 1 el tratamiento puede ser ambulatorio; con 2 se valora el ingreso hospitalario."
)
TREATMENT = (
    "En el paciente ambulatorio sin comorbilidad se recomienda amoxicilina 1 g cada 8 horas "
    "durante 5 días. Si hay alergia a la penicilina, se emplea una quinolona respiratoria. "
    "La reevaluación clínica a las 48–72 horas es obligatoria."
)
FOLLOW_UP = (
    "La radiografía de control sólo se indica si persisten los síntomas a las seis semanas o "
    "en fumadores mayores de 50 años, para descartar una neoplasia subyacente."
)
TABLE_ROWS = [
    ["Fármaco", "Dosis", "Vía"],
    ["Amoxicilina", "1 g cada 8 h", "Oral"],
    ["Levofloxacino", "500 mg cada 24 h", "Oral"],
    ["Ceftriaxona", "2 g cada 24 h", "Intravenosa"],
]


class _Writer:
    """Draws text top-down inside a column; a new page repeats the header and footer."""

    def __init__(self, canvas: Canvas, x: float, width: float, top: float, on_new_page: Callable[[], None]):
        self.canvas, self.x, self.width, self.y = canvas, x, width, top
        self.on_new_page = on_new_page

    def heading(self, text: str) -> None:
        self.y -= 10
        self.canvas.setFont("Helvetica-Bold", 14)
        self.canvas.drawString(self.x, self.y, text)
        self.y -= 20

    def paragraph(self, text: str) -> None:
        self.canvas.setFont(BODY_FONT, BODY_SIZE)
        for line in simpleSplit(text, BODY_FONT, BODY_SIZE, self.width):
            if self.y < MARGIN + 30:
                self.on_new_page()
                self.y = HEIGHT - MARGIN - 30
                self.canvas.setFont(BODY_FONT, BODY_SIZE)
            self.canvas.drawString(self.x, self.y, line)
            self.y -= LEADING
        self.y -= 8

    def table(self, rows: list[list[str]]) -> None:
        table = Table(rows)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", BODY_SIZE),
                    ("FONT", (0, 1), (-1, -1), BODY_FONT, BODY_SIZE),
                ]
            )
        )
        _, height = table.wrapOn(self.canvas, self.width, self.y)
        table.drawOn(self.canvas, self.x, self.y - height)
        self.y -= height + 14


def _decorate(canvas: Canvas, page: int) -> None:
    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, HEIGHT - MARGIN + 20, HEADER)
    canvas.drawCentredString(WIDTH / 2, MARGIN - 30, f"Página {page}")


def one_column_pdf(paragraph_repeats: int = 8) -> bytes:
    """Three sections over two or more pages, a table in the treatment section."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    page = [1]

    def new_page() -> None:
        canvas.showPage()
        page[0] += 1
        _decorate(canvas, page[0])

    _decorate(canvas, 1)
    writer = _Writer(canvas, MARGIN, WIDTH - 2 * MARGIN, HEIGHT - MARGIN - 20, new_page)
    writer.heading("1. Definición y diagnóstico")
    for _ in range(paragraph_repeats):
        writer.paragraph(INTRO)
    writer.heading("2. Valoración de la gravedad")
    for _ in range(paragraph_repeats):
        writer.paragraph(SEVERITY)
    writer.heading("3. Tratamiento empírico")
    writer.paragraph(TREATMENT)
    writer.table(TABLE_ROWS)
    writer.paragraph(FOLLOW_UP)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def two_column_pdf() -> bytes:
    """A full-width title, then two columns on each of two pages; the table sits in the right column."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    gutter = 24
    column = (WIDTH - 2 * MARGIN - gutter) / 2
    left_x, right_x = MARGIN, MARGIN + column + gutter
    for number in (1, 2):
        _decorate(canvas, number)
        top = HEIGHT - MARGIN - 20
        if number == 1:
            canvas.setFont("Helvetica-Bold", 18)
            canvas.drawString(MARGIN, top - 10, "Neumonía: manejo en atención primaria")
            top -= 40

        def overflow() -> None:
            raise AssertionError("the test text must fit its column")

        left = _Writer(canvas, left_x, column, top, overflow)
        right = _Writer(canvas, right_x, column, top, overflow)
        if number == 1:
            left.heading("Diagnóstico clínico")
            left.paragraph(INTRO)
            left.paragraph(INTRO)
            right.heading("Escala de gravedad")
            right.paragraph(SEVERITY)
            right.paragraph(SEVERITY)
        else:
            left.heading("Tratamiento antibiótico")
            left.paragraph(TREATMENT)
            right.table(TABLE_ROWS)
            right.heading("Seguimiento")
            right.paragraph(FOLLOW_UP)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages that are only a picture of text: no text layer at all."""
    picture = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(picture).text((20, 80), "Neumonia: texto escaneado", fill="black")
    png = io.BytesIO()
    picture.save(png, format="PNG")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for _ in range(pages):
        canvas.drawImage(ImageReader(io.BytesIO(png.getvalue())), MARGIN, HEIGHT / 2, width=400, height=130)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number in range(pages):
        canvas.setFont(BODY_FONT, BODY_SIZE)
        canvas.drawString(MARGIN, HEIGHT / 2, f"Página de relleno {number + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
