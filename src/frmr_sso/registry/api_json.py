"""The FRMR record as the REST API shows it: JSON objects, dates ``YYYY-MM-DD``, names beside codes.

Each section item has its ``id`` (the ``record_id``); codes of the directories
come with their names (``post_name``, ``speciality_name``, ``kind_name``); the
SNILS is shown formatted ``NNN-NNN-NNN CC``. The length of service is total and per post, as years,
months and days (``service_length.py`` states the rule and its sources).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from frmr_sso.identity.snils import Snils
from frmr_sso.registry.directories import directories
from frmr_sso.registry.labels import label_of
from frmr_sso.registry.models import Employment, FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.registry.service_length import Duration, ServiceLength, service_length

_KIND_GROUPS = {"education": "education", "postgraduate": "postgraduate", "courses": "course"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def item_json(section: str, item: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": item.record_id}
    for name in item.__dataclass_fields__:
        if name != "record_id":
            body[name] = _plain(getattr(item, name))
    if isinstance(item, Employment):
        body["position_type"] = int(item.position_type)
        body["position_type_name"] = label_of("position_type", int(item.position_type))
    if "speciality_code" in body:
        body["speciality_name"] = item.speciality_name
    group = _KIND_GROUPS.get(section)
    if group is not None:
        body["kind_name"] = directories().kind_name(group, item.kind)
    return body


def person_json(person: FrmrPerson, *, sections: Collection[str] = SECTIONS) -> dict[str, Any]:
    body: dict[str, Any] = {
        "frmr_id": person.frmr_id,
        "snils": Snils(person.snils).formatted,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "gender": person.gender,
        "birth_date": _plain(person.birth_date),
        "inn": person.inn,
        "phone": person.phone,
        "email": person.email,
    }
    for section in SECTIONS:
        if section in sections:
            body[section] = [item_json(section, item) for item in getattr(person, section)]
    return body


def _duration(d: Duration) -> dict[str, int]:
    return {"years": d.years, "months": d.months, "days": d.days}


def _length(length: ServiceLength) -> dict[str, Any]:
    return {
        **_duration(length.duration),
        "calendar_days": length.calendar_days,
        "periods": [{"begin": p.begin.isoformat(), "end": p.end.isoformat()} for p in length.periods],
    }


def service_length_json(person: FrmrPerson, on: date) -> dict[str, Any]:
    """The length of service of ``person`` on the day ``on``: total and per post."""
    report = service_length(person.employments, on)
    return {
        "on": on.isoformat(),
        "total": _length(report.total),
        "by_post": [
            {"post_id": p.post_id, "post_name": p.post_name, **_length(p.length)} for p in report.by_post
        ],
        "rule": "calendar days, simultaneous periods once, 30 days = 1 month, 12 months = 1 year",
    }
