"""Every section of an import record: each bad field is named, good records keep their ids."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
import yaml

from frmr_sso.registry.demo import DEMO_PERSONS_FILE
from frmr_sso.registry.validation import InvalidRecord, validate_person

TODAY = date(2026, 11, 26)
DOCTOR: dict[str, Any] = json.loads(
    json.dumps(yaml.safe_load(DEMO_PERSONS_FILE.read_text(encoding="utf-8"))["persons"][0], default=str)
)


def changed(path: str, value: Any) -> dict[str, Any]:
    record = copy.deepcopy(DOCTOR)
    *parents, last = path.split(".")
    target: Any = record
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return record


def problems(record: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidRecord) as refused:
        validate_person(record, today=TODAY)
    return refused.value.problems


def test_the_demo_doctor_has_every_section() -> None:
    person = validate_person(DOCTOR, today=TODAY)
    assert (person.inn, person.phone, person.email) == ("770123456703", "+79990000001", "doctor@example.test")
    counts = [
        len(getattr(person, s))
        for s in (
            "documents",
            "employments",
            "education",
            "postgraduate",
            "courses",
            "certificates",
            "accreditations",
            "categories",
        )
    ]
    assert counts == [1, 3, 1, 1, 3, 1, 1, 1]
    assert person.employments[0].record_id == "emp-0000001-1"
    assert person.courses[0].speciality_name == "Терапия"


def test_items_without_an_id_get_one_from_their_content() -> None:
    record = changed("courses", [{k: v for k, v in DOCTOR["courses"][0].items() if k != "id"}] * 2)
    first, again = validate_person(record, today=TODAY), validate_person(copy.deepcopy(record), today=TODAY)
    ids = [c.record_id for c in first.courses]
    assert ids == [c.record_id for c in again.courses]
    assert len(set(ids)) == 2
    assert all(i.startswith("cou-") for i in ids)
    other = validate_person(changed("courses", [{**record["courses"][0], "hours": 37}]), today=TODAY)
    assert other.courses[0].record_id not in ids


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("inn", "770123456704", "inn: the INN control digits do not match"),
        ("inn", "7701234560", "inn: 12 digits are expected"),
        ("phone", "12345", "phone: a phone number is written +7 and ten digits"),
        ("email", "doctor", "email: must be an e-mail address such as name@example.ru"),
        ("birth_date", "2030-01-01", "birth_date: must not be in the future"),
        ("birth_date", "1899-12-31", "birth_date: must not be before 1900-01-01"),
        ("nickname", "Маша", "nickname: unknown field"),
        ("documents.0.series", "450", "documents[0].series: an RF passport series is 4 digits"),
        ("documents.0.number", "12345", "documents[0].number: an RF passport number is 6 digits"),
        ("documents.0.series", KeyError, "documents[0].series: is required"),
        (
            "documents.0.issuer_code",
            "77-2045",
            "documents[0].issuer_code: an issuing unit code is written NNN-NNN",
        ),
        (
            "documents.0.kind",
            "PASSPORT",
            "documents[0].kind: is not a code of identity documents (RF_PASSPORT, "
            "FOREIGN_PASSPORT, MILITARY_ID, BIRTH_CERTIFICATE, OTHER)",
        ),
        ("documents.0.issue_date", "2027-01-01", "documents[0].issue_date: must not be in the future"),
        (
            "employments.0.organization_inn",
            "7701234561",
            "employments[0].organization_inn: the INN control digits do not match",
        ),
        ("employments.0.oktmo", "4538300", "employments[0].oktmo: an OKTMO code is 8 or 11 digits"),
        ("employments.0.department", 7, "employments[0].department: must be a non-blank string"),
        ("employments.0.id", "emp 1", "employments[0].id: must be 1 to 64 letters, digits or . _ : -"),
        ("employments.1.id", "emp-0000001-1", "employments[1].id: repeats the id of employments[0]"),
        ("education.0.kind", "phd", "education[0].kind: is not a code of the education kinds directory"),
        (
            "education.0.speciality_code",
            "31.05.99",
            "education[0].speciality_code: is not a code of the specialities directory",
        ),
        (
            "education.0.graduation_year",
            2027,
            "education[0].graduation_year: must be a whole number from 1930 to 2026",
        ),
        (
            "education.0.graduation_year",
            "2008",
            "education[0].graduation_year: must be a whole number from 1930 to 2026",
        ),
        (
            "education.0.diploma_date",
            "2007-06-27",
            "education[0].diploma_date: must not be before the graduation year",
        ),
        ("education.0.diploma_number", KeyError, "education[0].diploma_number: is required"),
        (
            "postgraduate.0.kind",
            "higher",
            "postgraduate[0].kind: is not a code of the postgraduate kinds directory",
        ),
        ("postgraduate.0.end_date", "2008-08-31", "postgraduate[0].end_date: must not be before begin_date"),
        ("courses.0.hours", 0, "courses[0].hours: must be a whole number from 1 to 3000"),
        ("courses.0.credits", -1, "courses[0].credits: must be a whole number from 0 to 1000"),
        ("courses.0.theme", KeyError, "courses[0].theme: is required"),
        ("courses.0.begin_date", "2026-12-01", "courses[0].begin_date: must not be in the future"),
        ("courses.0.end_date", "2022-03-13", "courses[0].end_date: must not be before begin_date"),
        ("certificates.0.end_date", "2019-10-24", "certificates[0].end_date: must not be before issue_date"),
        (
            "certificates.0.issue_date",
            "25.10.2019",
            "certificates[0].issue_date: must be a date written YYYY-MM-DD",
        ),
        (
            "accreditations.0.kind",
            "annual",
            "accreditations[0].kind: is not a code of accreditation kinds "
            "(primary, primary_specialised, periodic)",
        ),
        (
            "accreditations.0.pass_date",
            "2026-11-27",
            "accreditations[0].pass_date: must not be in the future",
        ),
        ("accreditations.0.end_date", KeyError, "accreditations[0].end_date: is required"),
        (
            "categories.0.category",
            "top",
            "categories[0].category: is not a code of categories (second, first, highest)",
        ),
        ("categories.0.end_date", "2020-01-01", "categories[0].end_date: must not be before begin_date"),
        ("categories", {"category": "first"}, "categories: must be a list"),
        ("courses", [[]], "courses[0]: must be a JSON object"),
        ("courses.0.grade", 5, "courses[0].grade: unknown field"),
    ],
)
def test_each_field_of_each_section_is_checked(path: str, value: Any, problem: str) -> None:
    assert problems(changed(path, value)) == [problem]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("employments.0.end_date", "2027-12-31"),
        ("accreditations.0.end_date", "2031-06-20"),
        ("documents.0.kind", "FOREIGN_PASSPORT"),
        ("courses.0.credits", KeyError),
        ("courses.0.speciality_code", None),
        ("phone", "8 (999) 000-00-01"),
        ("documents", []),
    ],
)
def test_edge_values_are_accepted(path: str, value: Any) -> None:
    validate_person(changed(path, value), today=TODAY)


def test_a_foreign_passport_is_not_held_to_the_rf_format() -> None:
    record = changed("documents", [{"kind": "FOREIGN_PASSPORT", "series": "75", "number": "1234567"}])
    assert validate_person(record, today=TODAY).documents[0].number == "1234567"


def test_too_many_items_are_refused() -> None:
    course = {k: v for k, v in DOCTOR["courses"][0].items() if k != "id"}
    assert problems(changed("courses", [course] * 201)) == ["courses: must have at most 200 items"]
