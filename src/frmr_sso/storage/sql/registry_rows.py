"""FRMR records ↔ table rows: the person, employment and section tables (columns named after fields)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.registry.sections import (
    Accreditation,
    Category,
    Certificate,
    Course,
    Education,
    IdentityDocument,
    Postgraduate,
)
from frmr_sso.storage.sql.registry_section_tables import (
    frmr_accreditations,
    frmr_categories,
    frmr_certificates,
    frmr_courses,
    frmr_documents,
    frmr_education,
    frmr_postgraduate,
)
from frmr_sso.storage.sql.registry_tables import frmr_employments

SECTION_TABLES: Mapping[str, tuple[sa.Table, type[Any]]] = {
    "documents": (frmr_documents, IdentityDocument),
    "employments": (frmr_employments, Employment),
    "education": (frmr_education, Education),
    "postgraduate": (frmr_postgraduate, Postgraduate),
    "courses": (frmr_courses, Course),
    "certificates": (frmr_certificates, Certificate),
    "accreditations": (frmr_accreditations, Accreditation),
    "categories": (frmr_categories, Category),
}
_FIELDS = {
    section: tuple(f.name for f in dataclasses.fields(kind)) for section, (_, kind) in SECTION_TABLES.items()
}
SECTION_COLUMNS = {section: ("frmr_id", *fields) for section, fields in _FIELDS.items()}
PERSON_FIELDS = ("last_name", "first_name", "middle_name", "gender", "birth_date", "inn", "phone", "email")


def item_from_row(section: str, row: sa.Row[Any]) -> Any:
    m = row._mapping
    values = {name: m[name] for name in _FIELDS[section]}
    if section == "employments":
        values["position_type"] = PositionType(values["position_type"])
        values["rate"] = float(values["rate"])
    return SECTION_TABLES[section][1](**values)


def person_from_row(row: sa.Row[Any], sections: Mapping[str, Iterable[Any]]) -> FrmrPerson:
    m = row._mapping
    values: dict[str, Any] = {name: m[name] for name in PERSON_FIELDS}
    values.update({section: tuple(items) for section, items in sections.items()})
    return FrmrPerson(frmr_id=m["frmr_id"], snils=m["snils"], roles=tuple(m["roles"] or ()), **values)


def person_row(person: FrmrPerson, now: datetime) -> dict[str, Any]:
    row = {name: getattr(person, name) for name in PERSON_FIELDS}
    return {
        **row,
        "frmr_id": person.frmr_id,
        "snils": person.snils,
        "roles": list(person.roles),
        "updated_at": now,
    }


def section_values(section: str, frmr_id: str, item: Any) -> tuple[Any, ...]:
    """One row of a section table, in ``SECTION_COLUMNS[section]`` order."""
    values = [frmr_id, *(getattr(item, name) for name in _FIELDS[section])]
    if section == "employments":
        fields = _FIELDS[section]
        values[1 + fields.index("position_type")] = int(item.position_type)
        values[1 + fields.index("rate")] = Decimal(str(item.rate))
    return tuple(values)
