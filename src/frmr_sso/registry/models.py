"""The FRMR record as the login needs it: the person and their places of work.

Position types follow FRMR: 1 main, 2 internal part-time, 3 combination,
4 external part-time. The full registry model (education, courses,
accreditation) grows from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any


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
