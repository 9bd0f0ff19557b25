"""Demo FRMR records (``data/demo_persons.yaml``), matching the mock ESIA demo accounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml

from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.registry.snils import parse_snils

DEMO_PERSONS_FILE = Path(__file__).parent / "data" / "demo_persons.yaml"


class PersonWriter(Protocol):
    async def upsert(self, person: FrmrPerson) -> None: ...


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def person_from_dict(entry: dict[str, Any]) -> FrmrPerson:
    jobs = tuple(
        Employment(
            organization_oid=str(job["organization_oid"]),
            organization_name=str(job["organization_name"]),
            post_id=str(job["post_id"]),
            post_name=str(job["post_name"]),
            position_type=PositionType(int(job["position_type"])),
            rate=float(job["rate"]),
            begin_date=date.fromisoformat(str(job["begin_date"])),
            end_date=_date(job.get("end_date")),
        )
        for job in entry.get("employments", [])
    )
    return FrmrPerson(
        frmr_id=str(entry["frmr_id"]),
        snils=parse_snils(str(entry["snils"])).digits,
        last_name=str(entry["last_name"]),
        first_name=str(entry["first_name"]),
        middle_name=entry.get("middle_name"),
        gender=entry.get("gender"),
        birth_date=_date(entry.get("birth_date")),
        roles=tuple(entry.get("roles", ())),
        employments=jobs,
    )


def load_demo_persons(path: Path = DEMO_PERSONS_FILE) -> list[FrmrPerson]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [person_from_dict(entry) for entry in data.get("persons", [])]


async def seed_demo_registry(repository: PersonWriter, path: Path = DEMO_PERSONS_FILE) -> int:
    persons = load_demo_persons(path)
    for person in persons:
        await repository.upsert(person)
    return len(persons)
