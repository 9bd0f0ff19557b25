"""The change-request forms: built from the directories, checked by the broker's rules, in Russian."""

from __future__ import annotations

from datetime import date

import pytest

from frmr_sso.cabinet.change_forms import (
    ORGANIZATION,
    FormField,
    check,
    form_values,
    proposal_rows,
    record_title,
    section_forms,
)
from frmr_sso.cabinet.form_messages import russian, russian_errors
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError
from frmr_sso.registry.directories import directories

TODAY = date(2026, 12, 7)
HOSPITAL = directories().organizations["1.2.643.5.1.13.13.12.2.77.7871"]
JOB = {"post_id": "109", "position_type": "1", "rate": "0,5", "begin_date": "2012-09-01"}
DIPLOMA = {
    "kind": "higher",
    "institution": "РНИМУ им. Н. И. Пирогова",
    "speciality_code": "31.05.01",
    "diploma_number": "0012",
    "diploma_date": "2010-06-30",
    "graduation_year": "2010",
}


def _field(section: str, name: str) -> FormField:
    return next(f for f in section_forms()[section].fields if f.name == name)


def test_each_section_has_its_own_form_and_only_its_fields() -> None:
    forms = section_forms()
    assert list(forms) == ["workplace", "education", "contacts"]
    assert [f.name for f in forms["workplace"].fields] == [*list(JOB), "end_date"]
    assert "organization_oid" not in [f.name for f in forms["workplace"].fields]  # chosen from the directory
    assert [f.name for f in forms["contacts"].fields] == ["phone", "email"]
    assert forms["workplace"].documents
    assert forms["education"].documents
    assert not forms["contacts"].documents


def test_codes_are_choices_from_the_directories_with_russian_names() -> None:
    posts = _field("workplace", "post_id")
    assert posts.input == "select"
    assert ("109", "врач-терапевт") in posts.choices
    assert len(posts.choices) == len(directories().posts)
    assert _field("workplace", "position_type").choices == (
        ("1", "Основное место работы"),
        ("2", "Внутреннее совместительство"),
        ("3", "Совмещение"),
        ("4", "Внешнее совместительство"),
    )
    assert ("31.05.01", "Лечебное дело (31.05.01)") in _field("education", "speciality_code").choices
    kinds = dict(_field("education", "kind").choices)
    assert kinds["higher"] == "Высшее образование — специалитет"
    assert "residency" not in kinds  # postgraduate kinds are not kinds of education
    assert (_field("workplace", "begin_date").input, _field("workplace", "begin_date").required) == (
        "date",
        True,
    )
    assert _field("workplace", "end_date").required is False


def test_a_good_workplace_carries_the_organisation_from_the_directory() -> None:
    checked = check(section_forms()["workplace"], JOB, today=TODAY, documents=1, organization=HOSPITAL)
    assert checked.ok, checked.errors
    assert checked.fields == {
        **JOB,
        "rate": "0.5",  # a decimal comma, as a Russian writes it, is the broker's dot
        "organization_oid": HOSPITAL.oid,
        "organization_name": HOSPITAL.name,
        "oktmo": "45383000",
    }


def test_every_bad_field_is_named_in_russian() -> None:
    bad = {
        "post_id": "999999",
        "position_type": "7",
        "rate": "5",
        "begin_date": "2031-01-01",
        "end_date": "x",
    }
    checked = check(section_forms()["workplace"], bad, today=TODAY, documents=0, organization=None)
    assert checked.errors == {
        ORGANIZATION: "Выберите организацию из справочника.",
        "post_id": "Выберите значение из списка.",
        "position_type": "Выберите значение из списка.",
        "rate": "Ставка — число от 0,05 до 2.",
        "begin_date": "Дата не может быть позже сегодняшней.",
        "end_date": "Укажите дату.",
        "documents": "Приложите подтверждающий документ (PDF или JPEG).",
    }


def test_missing_and_inconsistent_values() -> None:
    empty = check(section_forms()["education"], {}, today=TODAY, documents=1)
    assert empty.errors == {
        name: "Заполните это поле."
        for name in (
            "kind",
            "institution",
            "speciality_code",
            "diploma_number",
            "diploma_date",
            "graduation_year",
        )
    }
    late = check(
        section_forms()["education"], {**DIPLOMA, "graduation_year": "2030"}, today=TODAY, documents=1
    )
    assert late.errors == {"graduation_year": "Укажите год от 1940 до 2026."}
    ended_before = check(
        section_forms()["workplace"],
        {**JOB, "end_date": "2011-01-01"},
        today=TODAY,
        documents=1,
        organization=HOSPITAL,
    )
    assert ended_before.errors == {"end_date": "Дата окончания не может быть раньше даты начала."}


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"phone": "+7 (999) 123-45-67"}, {}),
        ({"email": "new@example.test"}, {}),
        ({}, {"fields": "Укажите новый телефон или новый адрес почты."}),
        ({"phone": "123"}, {"phone": "Телефон: +7 и десять цифр."}),
        ({"email": "not-an-address"}, {"email": "Проверьте адрес электронной почты."}),
        (
            {"phone": "+79990001122", "email": "new@example.test"},
            {"fields": "Одна заявка — один контакт: укажите или телефон, или почту."},
        ),
    ],
)
def test_a_contact_change_is_one_phone_or_one_address(values: dict[str, str], errors: dict[str, str]) -> None:
    assert check(section_forms()["contacts"], values, today=TODAY, documents=0).errors == errors


def test_the_brokers_messages_read_in_russian() -> None:
    errors = [
        FieldError("fields.diploma_number", "at most 30 characters"),
        FieldError("fields.diploma_number", "is required"),  # the first per field is kept
        FieldError("code", "the code is wrong or expired"),
        FieldError("snils", "the SNILS control number does not match"),
        FieldError("problem_time", "must be an ISO 8601 date-time"),
    ]
    assert russian_errors(errors) == {
        "diploma_number": "Не больше 30 знаков.",
        "code": "Код неверный или устарел.",
        "snils": "Проверьте СНИЛС: 11 цифр, контрольное число должно совпасть.",
        "problem_time": "Укажите дату и время.",
    }
    assert russian("something new the broker says") == "Проверьте это значение."


def test_a_filed_request_reads_with_names_not_codes() -> None:
    fields = {
        "organization_oid": HOSPITAL.oid,
        "organization_name": HOSPITAL.name,
        "oktmo": "45383000",
        "post_id": "110",
        "position_type": 4,
        "rate": 0.25,
        "begin_date": "2012-09-01",
    }
    assert proposal_rows("workplace", fields) == [
        ("Запись", "новая", ""),
        ("Организация", HOSPITAL.name, "organization_name"),
        ("OID организации", HOSPITAL.oid, "organization_oid"),
        ("ОКТМО", "45383000", "oktmo"),
        ("Должность", "врач-терапевт участковый", ""),
        ("Вид занятости", "Внешнее совместительство", ""),
        ("Ставка", 0.25, "rate"),
        ("Дата начала работы", "2012-09-01", "begin_date"),
    ]
    assert proposal_rows("workplace", {**fields, "record_id": "emp-1"})[0] == (
        "Запись",
        "исправление имеющейся",
        "",
    )
    assert proposal_rows("contacts", {"email": "a@b.test"}) == [
        ("Новый адрес электронной почты", "a@b.test", "email")
    ]


def test_a_record_to_correct_fills_the_form_and_names_itself() -> None:
    job = {
        "id": "emp-1",
        "organization_oid": HOSPITAL.oid,
        "organization_name": HOSPITAL.name,
        "post_id": "109",
        "post_name": "врач-терапевт",
        "position_type": 4,
        "rate": 0.25,
        "begin_date": "2019-02-01",
        "end_date": None,
    }
    form = section_forms()["workplace"]
    values = form_values(form, job)
    assert values == {
        "record_id": "emp-1",
        "post_id": "109",
        "position_type": "4",
        "rate": "0,25",
        "begin_date": "2019-02-01",
    }
    assert record_title(job) == "ГБУЗ «Городская клиническая больница № 1 ДЗМ», врач-терапевт, с 01.02.2019"
    checked = check(form, values, today=TODAY, documents=1, organization=HOSPITAL)
    assert checked.fields["record_id"] == "emp-1"  # sent: a correction of that item, not a new one
    diploma = {
        "id": "edu-1",
        "institution": "РНИМУ",
        "speciality_name": "Лечебное дело",
        "graduation_year": 2010,
    }
    assert record_title(diploma) == "РНИМУ, Лечебное дело, 2010"
