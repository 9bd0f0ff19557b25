"""Every statement variant is drawn without text running over other text (positions read back from the PDF).

Each variant is rendered, its text lines read with ``pdftotext -bbox-layout``
(poppler-utils), and no two lines of a page may overlap; each is also rendered
to PNG (``pdftoppm``) in the artefacts folder, for a person to look at.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import combinations
from pathlib import Path

import pytest

from frmr_sso.cabinet_backend.statements.content import StatementKind, build_statement
from frmr_sso.cabinet_backend.statements.pdf import render_pdf
from frmr_sso.registry.demo import load_demo_persons
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.registry.ru_format import zone
from frmr_sso.registry.sections import Course

ARTEFACTS = Path(os.environ.get("FRMR_SSO_TEST_ARTIFACTS") or Path(__file__).parents[3] / "artefacts")
ISSUED = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)  # 27.11.2026 00:30 in Moscow
Box = tuple[int, float, float, float, float, str]  # page, x0, y0, x1, y1, text
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")

LONG_ORG = (
    "Государственное бюджетное учреждение здравоохранения города Москвы «Городская клиническая больница "
    "имени Сергея Петровича Боткина Департамента здравоохранения города Москвы», обособленное подразделение"
)


def _doctor() -> FrmrPerson:
    return next(p for p in load_demo_persons() if p.frmr_id == "FRMR-0000001")


def _job(n: int, organization: str = "ГБУЗ «Городская поликлиника № 5 ДЗМ»") -> Employment:
    return Employment(
        f"1.2.643.5.{n}", f"{organization} {n}", "109", "врач-терапевт участковый",
        PositionType.EXTERNAL_PART_TIME, 0.25, date(2000 + n % 20, 1, 1),
    )


def _long() -> FrmrPerson:
    doctor = _doctor()
    course = Course(
        "advanced", LONG_ORG, 36, "Актуальные вопросы терапии " * 8, "31.08.49", None, None,
        date(2025, 1, 1), date(2025, 1, 5),
    )
    return replace(
        doctor,
        last_name="Римского-Корсакова-Длинноименная",
        first_name="Анна-Мария-Александра",
        middle_name="Константиновна-Вячеславовна",
        employments=(_job(1, LONG_ORG), _job(2, LONG_ORG), *doctor.employments),
        courses=(*doctor.courses, course),
    )


def _many_jobs() -> FrmrPerson:
    return replace(_doctor(), employments=tuple(_job(n) for n in range(60)))


def _empty() -> FrmrPerson:
    return FrmrPerson("FRMR-EMPTY", "11223344595", "Петров", "Пётр", None, None, None)


VARIANTS = {
    "extract-demo": (StatementKind.EXTRACT, _doctor),
    "certificate-demo": (StatementKind.ACTIVITY_CERTIFICATE, _doctor),
    "extract-long-names": (StatementKind.EXTRACT, _long),
    "certificate-long-names": (StatementKind.ACTIVITY_CERTIFICATE, _long),
    "extract-many-jobs": (StatementKind.EXTRACT, _many_jobs),
    "certificate-many-jobs": (StatementKind.ACTIVITY_CERTIFICATE, _many_jobs),
    "extract-empty": (StatementKind.EXTRACT, _empty),
    "certificate-empty": (StatementKind.ACTIVITY_CERTIFICATE, _empty),
}


_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
_NUMBER = r'"([\d.]+)"'
_LINE = re.compile(rf"<line xMin={_NUMBER} yMin={_NUMBER} xMax={_NUMBER} yMax={_NUMBER}>(.*?)</line>", re.S)
_WORD = re.compile(r"<word [^>]*>(.*?)</word>", re.S)


def _lines(pdf: Path) -> list[Box]:
    """Every text line's box, as ``pdftotext -bbox-layout`` reads it back from the file."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    boxes: list[Box] = []
    for number, page in enumerate(_PAGE.findall(xhtml), 1):
        for x0, y0, x1, y1, words in _LINE.findall(page):
            text = " ".join(html.unescape(w) for w in _WORD.findall(words))
            boxes.append((number, float(x0), float(y0), float(x1), float(y1), text))
    return boxes


def _overlaps(boxes: list[Box], slack: float = 0.5) -> list[tuple[str, str]]:
    found = []
    for a, b in combinations(boxes, 2):
        apart_x = a[3] - slack <= b[1] or b[3] - slack <= a[1]
        apart_y = a[4] - slack <= b[2] or b[4] - slack <= a[2]
        if a[0] == b[0] and not (apart_x or apart_y):
            found.append((a[5], b[5]))
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_no_text_runs_over_other_text(variant: str, tmp_path: Path) -> None:
    kind, person = VARIANTS[variant]
    moscow = zone("Europe/Moscow")
    content = build_statement(kind, person(), number="2026-TEST", issued_at=ISSUED, zone=moscow)
    pdf = tmp_path / f"{variant}.pdf"
    pdf.write_bytes(render_pdf(content))
    boxes = _lines(pdf)
    assert boxes, "no text was drawn"
    assert _overlaps(boxes) == []
    text = " ".join(b[5] for b in boxes)
    assert "27.11.2026 00:30 МСК" in text
    assert "UTC" not in text
    assert "0.25" not in text
    if shutil.which("pdftoppm"):
        shots = ARTEFACTS / "statements"
        shots.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(shots / variant)], check=True)


def test_the_overlap_check_sees_text_drawn_over_text(tmp_path: Path) -> None:
    from fpdf import FPDF

    from frmr_sso.cabinet_backend.statements.pdf import FAMILY, FONTS

    pdf = FPDF()
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.set_font(FAMILY, "", 10)
    pdf.add_page()
    pdf.multi_cell(40, 5, "Очень длинное название организации в две строки", new_x="RIGHT", new_y="TOP")
    pdf.set_xy(pdf.l_margin, pdf.t_margin + 5)
    pdf.cell(40, 5, "Места работы")
    path = tmp_path / "broken.pdf"
    path.write_bytes(bytes(pdf.output()))
    assert _overlaps(_lines(path))


def test_rates_have_a_decimal_comma() -> None:
    content = build_statement(StatementKind.EXTRACT, _many_jobs(), number="1", issued_at=ISSUED)
    rows = dict(content.sections[2].rows)
    assert "ставка 0,25" in rows[_job(1).organization_name]
