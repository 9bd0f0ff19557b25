"""Draws ``StatementContent`` as an A4 PDF with fpdf2, in DejaVu Sans (shipped in ``fonts/``).

Each section's label/value rows are a table (fpdf2's ``table()``): a row is as
tall as its longest cell, so a wrapped organisation name pushes the next row
down instead of running over it; text is left-aligned.

The font files come from the DejaVu project under the Bitstream Vera licence
(``cabinet_backend/statements/fonts/LICENSE``); they carry the Cyrillic glyphs the statements need
and are embedded (subset) in every PDF, so the text extracts as Unicode.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout

from frmr_sso.cabinet_backend.statements.content import StatementContent, ru_date

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_LABEL_WIDTH = 62.0
_KEEP_WITH_HEADING = 25.0  # mm: a heading this close to the page's end starts the next page


def _document(content: StatementContent) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(content.title)
    pdf.set_author("ФРМР")
    pdf.set_creator("frmr-sso")
    pdf.set_subject(f"{content.title} № {content.number}")
    pdf.set_creation_date(content.issued_at)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, *, size: float, bold: bool = False, height: float = 6) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _rows(pdf: FPDF, rows: tuple[tuple[str, str], ...]) -> None:
    """Label/value rows as a table: each row as tall as its longest cell, page breaks between rows."""
    pdf.set_font(FAMILY, "", 10)
    with pdf.table(
        col_widths=(_LABEL_WIDTH, pdf.epw - _LABEL_WIDTH),
        width=pdf.epw,
        first_row_as_headings=False,
        text_align="LEFT",
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=5.5,
        padding=(1.5, 2, 1.5, 0),
        v_align="TOP",
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value)


def render_pdf(content: StatementContent) -> bytes:
    pdf = _document(content)
    _line(pdf, "Федеральный регистр медицинских работников (ФРМР)", size=10)
    pdf.ln(4)
    _line(pdf, content.title, size=15, bold=True, height=8)
    _line(pdf, f"№ {content.number} от {ru_date(content.issued_at.astimezone(content.zone).date())}", size=10)
    pdf.ln(4)
    for section in content.sections:
        if pdf.get_y() > pdf.page_break_trigger - _KEEP_WITH_HEADING:
            pdf.add_page()  # a heading stays with its first rows
        _line(pdf, section.title, size=12, bold=True, height=7)
        if section.rows:
            pdf.ln(1)
            _rows(pdf, section.rows)
        else:
            _line(pdf, section.empty_text, size=10)
        pdf.ln(5)
    pdf.set_text_color(90, 100, 110)
    _line(pdf, content.footer, size=8, height=4.5)
    _line(pdf, f"Дата и время формирования: {content.issued_local}", size=8, height=4.5)
    return bytes(pdf.output())
