"""The FRMR record's sections besides employment, after the registry's own REST model.

Every item carries a ``record_id``: the FRMR record's own id when the source
gives one, otherwise a digest of the item's content (``record_ids.py``), so
importing the same data again yields the same ids. Codes of posts,
specialities and education kinds come from the directories (``directories.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from frmr_sso.registry.directories import directories

DOCUMENT_KINDS = ("RF_PASSPORT", "FOREIGN_PASSPORT", "MILITARY_ID", "BIRTH_CERTIFICATE", "OTHER")
ACCREDITATION_KINDS = ("primary", "primary_specialised", "periodic")
CATEGORIES = ("second", "first", "highest")
CERTIFICATE_YEARS = 5  # a specialist certificate and an accreditation hold for five years


class _Speciality:
    __slots__ = ()
    speciality_code: str | None

    @property
    def speciality_name(self) -> str | None:
        """The directory's name of ``speciality_code`` (names are not stored with the record)."""
        code = self.speciality_code
        return None if code is None else directories().specialities.get(code, code)


@dataclass(frozen=True, slots=True)
class IdentityDocument:
    kind: str
    series: str | None = field(repr=False)
    number: str = field(repr=False)
    issue_date: date | None = None
    issued_by: str | None = None
    issuer_code: str | None = None  # RF passport: issuing unit NNN-NNN
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Education(_Speciality):
    kind: str  # education kinds directory, group "education"
    institution: str
    speciality_code: str  # specialities directory
    qualification: str | None
    diploma_series: str | None
    diploma_number: str
    diploma_date: date | None
    graduation_year: int
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Postgraduate(_Speciality):
    kind: str  # group "postgraduate": residency, internship, doctoral
    institution: str
    speciality_code: str
    begin_date: date
    end_date: date | None
    diploma_number: str | None
    diploma_date: date | None
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Course(_Speciality):
    kind: str  # group "course": advanced training, retraining, continuing education
    institution: str
    hours: int
    theme: str
    speciality_code: str | None
    document_number: str | None
    document_date: date | None
    begin_date: date
    end_date: date
    credits: int = 0  # continuing-education credits (ЗЕТ) of portal activities
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Certificate(_Speciality):
    speciality_code: str
    series: str | None
    number: str
    issue_date: date
    end_date: date
    institution: str | None = None
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Accreditation(_Speciality):
    kind: str  # ACCREDITATION_KINDS
    registry_number: str
    speciality_code: str
    pass_date: date
    end_date: date
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class Category(_Speciality):
    category: str  # CATEGORIES
    speciality_code: str
    begin_date: date
    end_date: date | None
    record_id: str = ""


SECTIONS = (
    "documents",
    "employments",
    "education",
    "postgraduate",
    "courses",
    "certificates",
    "accreditations",
    "categories",
)
"""The record's list sections, in the order the API and the import name them."""
