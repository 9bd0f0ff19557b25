from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frmr_sso.cabinet_backend.change_requests import model as cr
from frmr_sso.cabinet_backend.change_requests.apply import apply_change
from frmr_sso.cabinet_backend.change_requests.form_fields import Invalid
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
WORKPLACE = {
    "organization_oid": "1.2.643.5.1.13.13.12.2.77.7871",
    "organization_name": "ГКБ № 1",
    "post_id": "109",
    "position_type": 1,
    "rate": "0.5",
    "begin_date": "2012-09-01",
}
EDUCATION = {
    "kind": "higher",
    "institution": "РНИМУ им. Н. И. Пирогова",
    "speciality_code": "31.05.01",
    "diploma_number": "123456",
    "diploma_date": "2010-06-30",
    "graduation_year": 2010,
}
PERSON = FrmrPerson(
    frmr_id="FRMR-1",
    snils="11223344595",
    last_name="Иванова",
    first_name="Мария",
    middle_name=None,
    gender="F",
    birth_date=None,
    phone="+79990000001",
    email="old@example.test",
    employments=(
        Employment(
            "1.2.3",
            "Old",
            "109",
            "врач-терапевт",
            PositionType.MAIN,
            1.0,
            date(2012, 9, 1),
            record_id="job-1",
        ),
    ),
)


def fields_of(exc: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


def request(section: cr.Section, proposal: dict[str, object], status: cr.Status) -> cr.ChangeRequest:
    return cr.ChangeRequest("r1", "FRMR-1", "s1", section, proposal, status, NOW, NOW)


def test_a_valid_workplace_proposal_is_cleaned() -> None:
    cleaned, comment = cr.validate_proposal(
        cr.Section.WORKPLACE, WORKPLACE, documents=1, today=TODAY, comment=" переведена "
    )
    assert cleaned["rate"] == 0.5
    assert cleaned["begin_date"] == date(2012, 9, 1)
    assert cleaned["position_type"] == 1
    assert comment == "переведена"


def test_every_bad_field_is_named() -> None:
    bad = {
        **WORKPLACE,
        "organization_oid": "not an oid",
        "rate": "3",
        "begin_date": "01.09.2012",
        "end_date": "2030-13-01",
        "salary": 100,
    }
    with pytest.raises(Invalid) as raised:
        cr.validate_proposal(cr.Section.WORKPLACE, bad, documents=0, today=TODAY)
    assert fields_of(raised) == {
        "fields.organization_oid",
        "fields.rate",
        "fields.begin_date",
        "fields.end_date",
        "fields.salary",
        "documents",
    }


def test_missing_required_fields_and_unknown_codes_are_named() -> None:
    with pytest.raises(Invalid) as raised:
        cr.validate_proposal(
            cr.Section.EDUCATION,
            {**EDUCATION, "speciality_code": "99.99.99", "institution": ""},
            documents=1,
            today=TODAY,
        )
    assert fields_of(raised) == {"fields.speciality_code", "fields.institution"}


def test_an_end_before_the_begin_is_refused() -> None:
    with pytest.raises(Invalid) as raised:
        cr.validate_proposal(
            cr.Section.WORKPLACE, {**WORKPLACE, "end_date": "2011-01-01"}, documents=1, today=TODAY
        )
    assert fields_of(raised) == {"fields.end_date"}


def test_contacts_need_a_value_and_no_documents() -> None:
    with pytest.raises(Invalid) as raised:
        cr.validate_proposal(cr.Section.CONTACTS, {}, documents=1, today=TODAY)
    assert fields_of(raised) == {"fields", "documents"}
    cleaned, _ = cr.validate_proposal(
        cr.Section.CONTACTS, {"phone": "8 (999) 123-45-67"}, documents=0, today=TODAY
    )
    assert cleaned == {"phone": "+79991234567"}


def test_a_contacts_change_is_one_contact_and_a_bad_one_is_named_as_such() -> None:
    with pytest.raises(Invalid) as both:
        cr.validate_proposal(
            cr.Section.CONTACTS, {"phone": "+79991234567", "email": "a@b.test"}, documents=0, today=TODAY
        )
    assert [(e.field, e.message) for e in both.value.errors] == [
        ("fields", "change one contact per request: phone or email")
    ]
    with pytest.raises(Invalid) as bad:
        cr.validate_proposal(cr.Section.CONTACTS, {"phone": "123"}, documents=0, today=TODAY)
    assert fields_of(bad) == {"fields.phone"}  # not also «give a new phone or e-mail»


def test_the_organisations_oktmo_goes_with_the_workplace() -> None:
    cleaned, _ = cr.validate_proposal(
        cr.Section.WORKPLACE,
        {**WORKPLACE, "oktmo": "45383000", "record_id": "job-1"},
        documents=1,
        today=TODAY,
    )
    changed = apply_change(PERSON, request(cr.Section.WORKPLACE, cleaned, cr.Status.PENDING))
    assert [e.oktmo for e in changed.employments] == ["45383000"]
    with pytest.raises(Invalid) as raised:
        cr.validate_proposal(cr.Section.WORKPLACE, {**WORKPLACE, "oktmo": "4538"}, documents=1, today=TODAY)
    assert fields_of(raised) == {"fields.oktmo"}


def test_unknown_section_is_named() -> None:
    with pytest.raises(Invalid) as raised:
        cr.parse_section("salary")
    assert fields_of(raised) == {"section"}


def test_pending_goes_to_approved_or_rejected_with_a_reason_only_once() -> None:
    pending = request(cr.Section.WORKPLACE, {}, cr.initial_status(cr.Section.WORKPLACE))
    assert pending.status_label == "На проверке"
    approved = cr.approve(pending, by="admin", at=NOW)
    assert (approved.status_label, approved.decided_by) == ("Одобрено", "admin")
    with pytest.raises(cr.InvalidTransition):
        cr.reject(approved, reason="late", by="admin", at=NOW)
    with pytest.raises(Invalid) as raised:
        cr.reject(pending, reason="  ", by="admin", at=NOW)
    assert fields_of(raised) == {"reason"}
    rejected = cr.reject(pending, reason="диплом не читается", by="admin", at=NOW)
    assert (rejected.status_label, rejected.reason) == ("Отклонено", "диплом не читается")


def test_contacts_are_confirmed_by_code_not_by_an_administrator() -> None:
    waiting = request(
        cr.Section.CONTACTS, {"email": "new@example.test"}, cr.initial_status(cr.Section.CONTACTS)
    )
    with pytest.raises(cr.InvalidTransition):
        cr.approve(waiting, by="admin", at=NOW)
    assert cr.confirm(waiting, at=NOW).status is cr.Status.APPROVED
    assert apply_change(PERSON, waiting).email == "new@example.test"
    assert apply_change(PERSON, waiting).phone == PERSON.phone


def test_applying_a_workplace_change_replaces_the_named_job_or_adds_one() -> None:
    cleaned, _ = cr.validate_proposal(
        cr.Section.WORKPLACE, {**WORKPLACE, "record_id": "job-1"}, documents=1, today=TODAY
    )
    changed = apply_change(PERSON, request(cr.Section.WORKPLACE, cleaned, cr.Status.PENDING))
    assert [(e.record_id, e.rate, e.organization_name) for e in changed.employments] == [
        ("job-1", 0.5, "ГКБ № 1")
    ]
    added, _ = cr.validate_proposal(cr.Section.WORKPLACE, WORKPLACE, documents=1, today=TODAY)
    changed = apply_change(PERSON, request(cr.Section.WORKPLACE, added, cr.Status.PENDING))
    assert [e.record_id for e in changed.employments] == ["job-1", "cr-r1"]


def test_a_foreign_record_id_is_refused() -> None:
    cleaned, _ = cr.validate_proposal(
        cr.Section.EDUCATION, {**EDUCATION, "record_id": "edu-of-someone-else"}, documents=1, today=TODAY
    )
    with pytest.raises(Invalid) as raised:
        apply_change(PERSON, request(cr.Section.EDUCATION, cleaned, cr.Status.PENDING))
    assert fields_of(raised) == {"fields.record_id"}
