"""Draws ``StatementContent`` as an A4 PDF with fpdf2, in DejaVu Sans (shipped in ``registry/fonts``).

The font files come from the DejaVu project under the Bitstream Vera licence
(``registry/fonts/LICENSE``); they carry the Cyrillic glyphs the statements need
and are embedded (subset) in every PDF, so the text extracts as Unicode.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from frmr_sso.registry.statements import StatementContent, ru_date

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_LABEL_WIDTH = 60.0


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
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def render_pdf(content: StatementContent) -> bytes:
    pdf = _document(content)
    _line(pdf, "Федеральный регистр медицинских работников (ФРМР)", size=10)
    pdf.ln(4)
    _line(pdf, content.title, size=15, bold=True, height=8)
    _line(pdf, f"№ {content.number} от {ru_date(content.issued_at.date())}", size=10)
    pdf.ln(4)
    for section in content.sections:
        _line(pdf, section.title, size=12, bold=True, height=7)
        if not section.rows:
            _line(pdf, section.empty_text, size=10)
        for label, value in section.rows:
            pdf.set_font(FAMILY, "", 10)
            top, page = pdf.get_y(), pdf.page_no()
            pdf.multi_cell(_LABEL_WIDTH, 5.5, label, new_x="RIGHT", new_y="TOP")
            label_bottom = pdf.get_y() if pdf.page_no() == page else top
            pdf.set_xy(pdf.l_margin + _LABEL_WIDTH + 2, top)
            pdf.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(pdf.get_y(), label_bottom) + 1.5)
        pdf.ln(3)
    pdf.ln(4)
    pdf.set_text_color(90, 100, 110)
    _line(pdf, content.footer, size=8, height=4.5)
    stamp = content.issued_at.strftime("%d.%m.%Y %H:%M UTC")
    _line(pdf, f"Дата и время формирования: {stamp}", size=8, height=4.5)
    return bytes(pdf.output())
