"""The look of the PDF documents the portal issues: fonts, page frame, styles, build.

Built with ReportLab (platypus). The text is set in DejaVu Sans, embedded
(subset) in each file, so every French character — the narrow no-break space
of « 30 000 € » included — is drawn and comes back when the text is copied
or extracted; the fonts come from the Debian package ``fonts-dejavu-core``
(``SEGUR_PDF_FONT_DIR``).

Output is deterministic: the same content gives the same bytes (ReportLab's
``invariant`` mode, the document's dates are the event's own), so a document
can be generated again from the stored data to check it. The documents
themselves are generated once and stored (:mod:`segur_app.domain.generated_documents`).

Not to be confused with :mod:`segur_app.domain.pdf`, the minimal PDF
assembler of the demo data and test fixtures.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from segur_app.core.config import get_settings
from segur_app.domain.dates import as_utc, fr_datetime

PORTAL = "Portail Ségur Numérique"
AGENCY = "Agence de Services et de Paiement (ASP)"
BLUE = colors.HexColor("#000091")  # DSFR « bleu France »
GREY = colors.HexColor("#666666")
LIGHT = colors.HexColor("#f6f6f6")
RULE = colors.HexColor("#dddddd")

SANS, BOLD, MONO = "SegurSans", "SegurSans-Bold", "SegurMono"
FONT_FILES = {SANS: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", MONO: "DejaVuSansMono.ttf"}

MARGIN = 20 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text width

_fonts_lock = threading.Lock()
_fonts_ready = False


def _register_fonts(font_dir: Path) -> None:
    """Once per process, before the first paragraph (styles name these fonts)."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        for name, file_name in FONT_FILES.items():
            path = font_dir / file_name
            if not path.is_file():
                raise FileNotFoundError(
                    f"PDF font {path} missing: install fonts-dejavu-core or set "
                    "SEGUR_PDF_FONT_DIR")
            pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=SANS, boldItalic=BOLD)
        _fonts_ready = True


def _style(name: str, **options) -> ParagraphStyle:
    base = {"fontName": SANS, "fontSize": 10, "leading": 14, "textColor": colors.black}
    return ParagraphStyle(name, **{**base, **options})


STYLES = {
    "title": _style("title", fontName=BOLD, fontSize=18, leading=23, textColor=BLUE,
                    spaceAfter=2 * mm),
    "subtitle": _style("subtitle", fontSize=11, leading=15, textColor=GREY, spaceAfter=6 * mm),
    "heading": _style("heading", fontName=BOLD, fontSize=12, leading=16, textColor=BLUE,
                      spaceBefore=6 * mm, spaceAfter=2 * mm),
    "body": _style("body", spaceAfter=3 * mm),
    "label": _style("label", fontName=BOLD, fontSize=9, leading=12),
    "value": _style("value", fontSize=9, leading=12),
    "small": _style("small", fontSize=8, leading=11, textColor=GREY, spaceBefore=2 * mm,
                    spaceAfter=4 * mm),
    "mono": _style("mono", fontName=MONO, fontSize=7, leading=11),
    "quote": _style("quote", leftIndent=4 * mm, borderPadding=(2 * mm, 3 * mm, 2 * mm, 3 * mm),
                    backColor=LIGHT, spaceBefore=2 * mm, spaceAfter=5 * mm),
}


def markup(value: str) -> str:
    """Plain text as paragraph markup: markup characters escaped, line breaks
    kept, control characters dropped (text typed by users is never markup)."""
    clean = "".join(c for c in str(value)
                    if c == "\n" or unicodedata.category(c)[0] != "C")
    return escape(clean).replace("\n", "<br/>")


def paragraph(marked_up: str, style: str = "body") -> Paragraph:
    """A paragraph of ReportLab markup (build it with :func:`markup`)."""
    _register_fonts(get_settings().pdf_font_dir)
    return Paragraph(marked_up, STYLES[style])


def text(value: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text."""
    return paragraph(markup(value), style)


def bold_lead(lead: str, rest: str, style: str = "body") -> Paragraph:
    """``lead`` in bold followed by ``rest`` (both plain text)."""
    return paragraph(f"<b>{markup(lead)}</b> {markup(rest)}", style)


def field_table(rows: Sequence[tuple[str, str]]) -> Table:
    """Label / value pairs, two columns, light rules between rows."""
    table = Table(
        [[text(label, "label"), text(value, "value")] for label, value in rows],
        colWidths=[0.36 * WIDTH, 0.64 * WIDTH],
    )
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (0, -1), LIGHT),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def grid(header: Sequence[str], rows: Sequence[Sequence[Flowable]],
         widths: Sequence[float]) -> Table:
    """A table with a blue header row (repeated on each page)."""
    head = [paragraph(f'<font color="white"><b>{markup(h)}</b></font>', "value")
            for h in header]
    table = Table([head, *rows], colWidths=list(widths), repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


@dataclass(frozen=True)
class DocumentInfo:
    title: str  # « Accusé de dépôt »
    reference: str  # the dossier number
    subject: str
    issued_at: datetime  # the event: deposit, decision


def _pdf_date(value: datetime) -> str:
    utc = as_utc(value)
    return f"D:{utc:%Y%m%d%H%M%S}+00'00'"


def _frame(info: DocumentInfo):
    """Draws the header (State block, agency, portal) and the footer of each page."""

    def draw(canvas, doc) -> None:
        canvas.saveState()
        top = A4[1] - 14 * mm
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top, "RÉPUBLIQUE")
        canvas.drawString(MARGIN, top - 12, "FRANÇAISE")
        canvas.setFont(SANS, 7)
        canvas.drawString(MARGIN, top - 23, "Liberté · Égalité · Fraternité")
        canvas.setFont(BOLD, 10)
        canvas.setFillColor(BLUE)
        canvas.drawRightString(A4[0] - MARGIN, top, PORTAL)
        canvas.setFont(SANS, 8)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(A4[0] - MARGIN, top - 12, AGENCY)
        canvas.setStrokeColor(BLUE)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, top - 30, A4[0] - MARGIN, top - 30)
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, 12 * mm,
                          f"{PORTAL} — {info.title} {info.reference} — "
                          f"émis le {fr_datetime(info.issued_at)} (heure de Paris)")
        canvas.drawRightString(A4[0] - MARGIN, 12 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def build(story: list[Flowable], *, info: DocumentInfo) -> bytes:
    """The PDF of ``story`` on A4 pages with the portal's header and footer."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=32 * mm, bottomMargin=22 * mm,
        title=f"{info.title} {info.reference}", author=f"{PORTAL} — {AGENCY}",
        subject=info.subject, creator=PORTAL, lang="fr-FR", invariant=1,
    )
    frame = _frame(info)
    stamp = _pdf_date(info.issued_at)

    def first_page(canvas, doc) -> None:
        canvas.setDateFormatter(lambda *_: stamp)  # the event's date, not "now"
        frame(canvas, doc)

    document.build(story, onFirstPage=first_page, onLaterPages=frame)
    return buffer.getvalue()
