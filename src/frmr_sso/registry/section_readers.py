"""Validation of each section item of an import record (``sections.py``, ``models.Employment``).

Every reader takes the item, its path prefix (``education[2].``) and the field
reader; it returns the item built from the fields (with placeholders where a
field is bad: the record is refused then anyway).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from frmr_sso.registry import checks
from frmr_sso.registry.directories import directories
from frmr_sso.registry.fields import Fields
from frmr_sso.registry.models import Employment, PositionType
from frmr_sso.registry.section_keys import (
    ACCREDITATION_KEYS,
    CATEGORY_KEYS,
    CERTIFICATE_KEYS,
    COURSE_KEYS,
    DOCUMENT_KEYS,
    EDUCATION_KEYS,
    EMPLOYMENT_KEYS,
    POSTGRADUATE_KEYS,
)
from frmr_sso.registry.sections import (
    ACCREDITATION_KINDS,
    CATEGORIES,
    DOCUMENT_KINDS,
    Accreditation,
    Category,
    Certificate,
    Course,
    Education,
    IdentityDocument,
    Postgraduate,
)

MAX_RATE = 1.5
MAX_COURSE_HOURS = 3000
MAX_CREDITS = 1000
_OID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_NO_DAY = date.min
Reader = Callable[[Fields, dict[str, Any], str], Any]


def _speciality(f: Fields, obj: dict[str, Any], p: str, *, required: bool = True) -> str | None:
    return f.code(
        obj, "speciality_code", directories().specialities, "the specialities directory", p, required=required
    )


def _kind(f: Fields, obj: dict[str, Any], p: str, group: str) -> str:
    return f.code(obj, "kind", directories().kinds[group], f"the {group} kinds directory", p) or ""


def employment(f: Fields, job: dict[str, Any], p: str) -> Employment:
    f.known(job, EMPLOYMENT_KEYS, p)
    oid = f.text(job, "organization_oid", 128, p)
    if oid and not _OID.match(oid):
        f.fail(f"{p}organization_oid", "must be an OID such as 1.2.643.5.1.13.13.12.2.77.7871")
    organization_name = f.text(job, "organization_name", 500, p)
    post_id = f.text(job, "post_id", 32, p)
    post_name = f.optional_text(job, "post_name", 300, p)
    if post_id and post_id not in directories().posts:
        f.fail(f"{p}post_id", "is not a code of the post directory")
    kind: Any = job.get("position_type")
    valid_kind = type(kind) is int and 1 <= kind <= len(PositionType)
    if not valid_kind:
        f.fail(f"{p}position_type", "must be 1, 2, 3 or 4")
    rate: Any = job.get("rate")
    numeric = type(rate) in (int, float) and math.isfinite(rate)
    if not numeric or not 0 < rate <= MAX_RATE:
        f.fail(f"{p}rate", f"must be between 0 and {MAX_RATE}")
    elif round(rate, 2) != rate:
        f.fail(f"{p}rate", "must have at most two decimal places")
    begin = f.day(job, "begin_date", p, future=True)
    end = f.day(job, "end_date", p, required=False, future=True)
    f.order(begin, end, f"{p}end_date", "begin_date")
    return Employment(
        organization_oid=oid,
        organization_name=organization_name,
        post_id=post_id,
        post_name=post_name or directories().posts.get(post_id, ""),
        position_type=PositionType(kind) if valid_kind else PositionType.MAIN,
        rate=float(rate) if numeric else 0.0,
        begin_date=begin or _NO_DAY,
        end_date=end,
        organization_inn=f.checked(job, "organization_inn", lambda v: checks.check_inn(v, length=10), p),
        oktmo=f.checked(job, "oktmo", checks.check_oktmo, p),
        department=f.optional_text(job, "department", 300, p),
        record_id=f.record_id(job, p),
    )


def document(f: Fields, doc: dict[str, Any], p: str) -> IdentityDocument:
    f.known(doc, DOCUMENT_KEYS, p)
    kind = f.code(doc, "kind", DOCUMENT_KINDS, "identity documents (" + ", ".join(DOCUMENT_KINDS) + ")", p)
    series, number = f.optional_text(doc, "series", 16, p), f.text(doc, "number", 32, p)
    issuer_code = None
    if kind == "RF_PASSPORT":
        if series is None and doc.get("series") in (None, ""):
            f.fail(f"{p}series", "is required")
        elif series is not None and number:
            try:
                series, number = checks.check_passport(series, number)
            except checks.InvalidValue as exc:
                f.fail(f"{p}series" if "series" in str(exc) else f"{p}number", str(exc))
        issuer_code = f.checked(doc, "issuer_code", checks.check_issuer_code, p)
    elif doc.get("issuer_code") not in (None, ""):
        issuer_code = f.optional_text(doc, "issuer_code", 16, p)
    return IdentityDocument(
        kind=kind or "",
        series=series,
        number=number,
        issue_date=f.day(doc, "issue_date", p, required=False),
        issued_by=f.optional_text(doc, "issued_by", 500, p),
        issuer_code=issuer_code,
        record_id=f.record_id(doc, p),
    )


def education(f: Fields, item: dict[str, Any], p: str) -> Education:
    f.known(item, EDUCATION_KEYS, p)
    diploma_date = f.day(item, "diploma_date", p, required=False)
    year = f.integer(item, "graduation_year", 1930, f.today.year, p)
    if diploma_date is not None and year is not None and diploma_date.year < year:
        f.fail(f"{p}diploma_date", "must not be before the graduation year")
    return Education(
        kind=_kind(f, item, p, "education"),
        institution=f.text(item, "institution", 500, p),
        speciality_code=_speciality(f, item, p) or "",
        qualification=f.optional_text(item, "qualification", 300, p),
        diploma_series=f.optional_text(item, "diploma_series", 16, p),
        diploma_number=f.text(item, "diploma_number", 32, p),
        diploma_date=diploma_date,
        graduation_year=year or 0,
        record_id=f.record_id(item, p),
    )


def postgraduate(f: Fields, item: dict[str, Any], p: str) -> Postgraduate:
    f.known(item, POSTGRADUATE_KEYS, p)
    begin = f.day(item, "begin_date", p)
    end = f.day(item, "end_date", p, required=False, future=True)
    f.order(begin, end, f"{p}end_date", "begin_date")
    return Postgraduate(
        kind=_kind(f, item, p, "postgraduate"),
        institution=f.text(item, "institution", 500, p),
        speciality_code=_speciality(f, item, p) or "",
        begin_date=begin or _NO_DAY,
        end_date=end,
        diploma_number=f.optional_text(item, "diploma_number", 32, p),
        diploma_date=f.day(item, "diploma_date", p, required=False),
        record_id=f.record_id(item, p),
    )


def course(f: Fields, item: dict[str, Any], p: str) -> Course:
    f.known(item, COURSE_KEYS, p)
    begin = f.day(item, "begin_date", p)
    end = f.day(item, "end_date", p)
    f.order(begin, end, f"{p}end_date", "begin_date")
    return Course(
        kind=_kind(f, item, p, "course"),
        institution=f.text(item, "institution", 500, p),
        hours=f.integer(item, "hours", 1, MAX_COURSE_HOURS, p) or 0,
        theme=f.text(item, "theme", 1000, p),
        speciality_code=_speciality(f, item, p, required=False),
        document_number=f.optional_text(item, "document_number", 64, p),
        document_date=f.day(item, "document_date", p, required=False),
        begin_date=begin or _NO_DAY,
        end_date=end or _NO_DAY,
        credits=f.integer(item, "credits", 0, MAX_CREDITS, p, required=False) or 0,
        record_id=f.record_id(item, p),
    )


def certificate(f: Fields, item: dict[str, Any], p: str) -> Certificate:
    f.known(item, CERTIFICATE_KEYS, p)
    issued = f.day(item, "issue_date", p)
    end = f.day(item, "end_date", p, future=True)
    f.order(issued, end, f"{p}end_date", "issue_date")
    return Certificate(
        speciality_code=_speciality(f, item, p) or "",
        series=f.optional_text(item, "series", 16, p),
        number=f.text(item, "number", 64, p),
        issue_date=issued or _NO_DAY,
        end_date=end or _NO_DAY,
        institution=f.optional_text(item, "institution", 500, p),
        record_id=f.record_id(item, p),
    )


def accreditation(f: Fields, item: dict[str, Any], p: str) -> Accreditation:
    f.known(item, ACCREDITATION_KEYS, p)
    passed = f.day(item, "pass_date", p)
    end = f.day(item, "end_date", p, future=True)
    f.order(passed, end, f"{p}end_date", "pass_date")
    kinds = "accreditation kinds (" + ", ".join(ACCREDITATION_KINDS) + ")"
    return Accreditation(
        kind=f.code(item, "kind", ACCREDITATION_KINDS, kinds, p) or "",
        registry_number=f.text(item, "registry_number", 64, p),
        speciality_code=_speciality(f, item, p) or "",
        pass_date=passed or _NO_DAY,
        end_date=end or _NO_DAY,
        record_id=f.record_id(item, p),
    )


def category(f: Fields, item: dict[str, Any], p: str) -> Category:
    f.known(item, CATEGORY_KEYS, p)
    begin = f.day(item, "begin_date", p)
    end = f.day(item, "end_date", p, required=False, future=True)
    f.order(begin, end, f"{p}end_date", "begin_date")
    return Category(
        category=f.code(item, "category", CATEGORIES, "categories (" + ", ".join(CATEGORIES) + ")", p) or "",
        speciality_code=_speciality(f, item, p) or "",
        begin_date=begin or _NO_DAY,
        end_date=end,
        record_id=f.record_id(item, p),
    )


READERS: dict[str, Reader] = {
    "documents": document,
    "employments": employment,
    "education": education,
    "postgraduate": postgraduate,
    "courses": course,
    "certificates": certificate,
    "accreditations": accreditation,
    "categories": category,
}
