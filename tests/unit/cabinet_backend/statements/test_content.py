from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from frmr_sso.cabinet_backend.statements.content import StatementKind, build_statement, full_name
from frmr_sso.cabinet_backend.statements.pdf import render_pdf
from frmr_sso.cabinet_backend.statements.signing import PdfSigner, new_service_identity
from frmr_sso.registry.demo import load_demo_persons
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from tests.support.pdf_signatures import check_signature, pdf_text, tampered

ISSUED = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
PERSON = FrmrPerson(
    frmr_id="FRMR-TEST-1",
    snils="11223344595",
    last_name="Иванова",
    first_name="Мария",
    middle_name="Петровна",
    gender="F",
    birth_date=date(1985, 3, 1),
    employments=(
        Employment(
            "1.2.643.5.1",
            "ГБУЗ «Городская больница № 1»",
            "1",
            "Врач-терапевт участковый",
            PositionType.MAIN,
            1.0,
            date(2010, 1, 1),
        ),
        Employment(
            "1.2.643.5.2",
            "Поликлиника № 2",
            "2",
            "Врач-кардиолог",
            PositionType.EXTERNAL_PART_TIME,
            0.25,
            date(2015, 1, 1),
            date(2019, 5, 5),
        ),
    ),
)


@pytest.fixture(scope="module")
def signer() -> PdfSigner:
    return PdfSigner(new_service_identity("ФРМР тест"))


def _rows(kind: StatementKind) -> dict[str, str]:
    content = build_statement(kind, PERSON, number="2026-AB", issued_at=ISSUED)
    return {label: value for section in content.sections for label, value in section.rows}


def test_extract_lists_every_place_of_work_and_masks_the_snils() -> None:
    rows = _rows(StatementKind.EXTRACT)
    assert rows["Фамилия, имя, отчество"] == "Иванова Мария Петровна"
    assert rows["СНИЛС"] == "***-***-445 95"
    assert "112" not in rows["СНИЛС"]
    assert rows["Дата рождения"] == "01.03.1985"
    assert "по 05.05.2019" in rows["Поликлиника № 2"]
    assert "основное место работы" in rows["ГБУЗ «Городская больница № 1»"]


def test_activity_certificate_lists_only_current_jobs() -> None:
    rows = _rows(StatementKind.ACTIVITY_CERTIFICATE)
    assert "ГБУЗ «Городская больница № 1»" in rows
    assert "Поликлиника № 2" not in rows


def test_certificate_without_current_jobs_says_so() -> None:
    person = FrmrPerson("F-2", "11223344595", "Петров", "Пётр", None, "M", None, employments=())
    content = build_statement(StatementKind.ACTIVITY_CERTIFICATE, person, number="1", issued_at=ISSUED)
    assert full_name(person) == "Петров Пётр"
    assert content.sections[1].rows == ()
    assert "действующих мест работы" in content.sections[1].empty_text


def test_pdf_text_is_cyrillic_and_extractable() -> None:
    pdf = render_pdf(build_statement(StatementKind.EXTRACT, PERSON, number="2026-AB", issued_at=ISSUED))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Иванова Мария Петровна" in text
    assert "Выписка" in text
    assert "2026-AB" in text


async def test_signed_pdf_verifies_and_tampering_breaks_it(signer: PdfSigner) -> None:
    content = build_statement(StatementKind.EXTRACT, PERSON, number="2026-AB", issued_at=ISSUED)
    signed = await asyncio.to_thread(signer.sign, render_pdf(content), reason="Выписка № 2026-AB")
    cert = signer.identity.certificate_der
    assert (await check_signature(signed, cert)).ok
    assert "Иванова Мария Петровна" in pdf_text(signed)

    broken = await check_signature(tampered(signed, b"/Creator", b"/Cxeator"), cert)
    assert not broken.intact
    assert not broken.ok


async def test_a_different_certificate_is_not_trusted(signer: PdfSigner) -> None:
    content = build_statement(StatementKind.EXTRACT, PERSON, number="2026-AB", issued_at=ISSUED)
    signed = await asyncio.to_thread(signer.sign, render_pdf(content), reason="Выписка")
    other = new_service_identity("чужой")
    check = await check_signature(signed, other.certificate_der)
    assert check.intact
    assert not check.trusted


def test_the_demo_doctors_extract_covers_the_whole_record() -> None:
    doctor = next(p for p in load_demo_persons() if p.frmr_id == "FRMR-0000001")
    content = build_statement(StatementKind.EXTRACT, doctor, number="1", issued_at=ISSUED)
    titles = [section.title for section in content.sections]
    assert titles == [
        "Сведения о медицинском работнике",
        "Образование",
        "Места работы",
        "Повышение квалификации",
        "Допуск к профессиональной деятельности",
    ]
    assert all(section.rows for section in content.sections)
    admitted = content.sections[-1].rows
    assert any(speciality == "Терапия" and "аккредитация №" in text for speciality, text in admitted)
    text = pdf_text(render_pdf(content))
    assert "Лечебное дело" in text
    assert "Актуальные вопросы терапии" in text


def test_expired_admissions_are_left_out_of_a_certificate() -> None:
    doctor = next(p for p in load_demo_persons() if p.frmr_id == "FRMR-0000001")
    later = datetime(2040, 1, 1, tzinfo=UTC)
    content = build_statement(StatementKind.ACTIVITY_CERTIFICATE, doctor, number="1", issued_at=later)
    assert content.sections[-1].rows == ()
