"""The FRMR record: the person and their places of work, with the other sections in ``sections.py``.

Position types follow FRMR: 1 main, 2 internal part-time, 3 combination,
4 external part-time. ``FrmrPerson`` is the whole record as the registry
repository returns it (``get``, ``find_by_snils``): the login reads its
employments and roles, the REST API and the cabinet read every section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

from frmr_sso.registry.sections import (
    Accreditation,
    Category,
    Certificate,
    Course,
    Education,
    IdentityDocument,
    Postgraduate,
)


class PositionType(IntEnum):
    MAIN = 1
    INTERNAL_PART_TIME = 2
    COMBINATION = 3
    EXTERNAL_PART_TIME = 4


@dataclass(frozen=True, slots=True)
class Employment:
    organization_oid: str
    organization_name: str
    post_id: str
    post_name: str
    position_type: PositionType
    rate: float
    begin_date: date
    end_date: date | None = None
    organization_inn: str | None = None
    oktmo: str | None = None
    department: str | None = None
    record_id: str = ""

    def is_current(self, today: date) -> bool:
        return self.begin_date <= today and (self.end_date is None or self.end_date >= today)


@dataclass(frozen=True, slots=True)
class FrmrPerson:
    frmr_id: str
    snils: str = field(repr=False)
    last_name: str
    first_name: str
    middle_name: str | None
    gender: str | None
    birth_date: date | None
    roles: tuple[str, ...] = ()
    employments: tuple[Employment, ...] = ()
    inn: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    documents: tuple[IdentityDocument, ...] = field(default=(), repr=False)
    education: tuple[Education, ...] = ()
    postgraduate: tuple[Postgraduate, ...] = ()
    courses: tuple[Course, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    accreditations: tuple[Accreditation, ...] = ()
    categories: tuple[Category, ...] = ()

    def current_employments(self, today: date) -> tuple[Employment, ...]:
        return tuple(e for e in self.employments if e.is_current(today))

    def frmr_claims(self, today: date) -> dict[str, Any]:
        """The ``frmr`` scope's claims: person id, organisations and posts of current jobs."""
        current = self.current_employments(today)
        return {
            "frmr_person_id": self.frmr_id,
            "frmr_posts": sorted({e.post_name for e in current}),
            "frmr_organizations": [
                {
                    "oid": e.organization_oid,
                    "name": e.organization_name,
                    "post_id": e.post_id,
                    "post": e.post_name,
                    "position_type": int(e.position_type),
                    "rate": e.rate,
                }
                for e in current
            ],
        }
