"""One import record (a decoded JSON object) → ``FrmrPerson``, or ``InvalidRecord`` naming every bad field.

The record has the shape of ``data/demo_persons.yaml``: the person's own
fields and a list per section (``sections.SECTIONS``); a missing section is
empty. Items without an ``id`` get one derived from their content
(``record_ids``), so importing the same data twice gives the same ids.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

from frmr_sso.identity.snils import InvalidSnils, parse_snils
from frmr_sso.registry import checks
from frmr_sso.registry.fields import Fields
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.section_readers import READERS
from frmr_sso.registry.sections import SECTIONS

PERSON_KEYS = frozenset(
    {
        "frmr_id",
        "snils",
        "last_name",
        "first_name",
        "middle_name",
        "gender",
        "birth_date",
        "roles",
        "inn",
        "phone",
        "email",
        *SECTIONS,
    }
)
MAX_ITEMS = 200  # per section of one person
T = TypeVar("T")


class InvalidRecord(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def with_record_ids(
    frmr_id: str,
    section: str,
    items: Sequence[T],
    sources: Sequence[dict[str, Any]],
    fields: Fields | None = None,
) -> tuple[T, ...]:
    """``items`` with an id each: their own, or a digest of their source object and its repeat count.

    ``sources`` are the objects the items were read from (their keys in any order);
    ``record_id`` is the last field of every section item.
    """
    seen: dict[str, int] = {}
    result: list[T] = []
    repeats: dict[str, int] = {}
    for index, (item, source) in enumerate(zip(items, sources, strict=True)):
        record_id: str = getattr(item, "record_id", "")
        if not record_id:
            content = _CANONICAL.encode([frmr_id, section, source])
            repeats[content] = count = repeats.get(content, 0) + 1
            digest = hashlib.blake2b(f"{content}#{count}".encode(), digest_size=10).hexdigest()
            record_id = f"{section[:3]}-{digest}"
            kind: Any = type(item)
            item = kind(*(getattr(item, name) for name in _field_names(kind)[:-1]), record_id)
        if record_id in seen and fields is not None:
            fields.fail(f"{section}[{index}].id", f"repeats the id of {section}[{seen[record_id]}]")
        seen.setdefault(record_id, index)
        result.append(item)
    return tuple(result)


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def validate_person(value: Any, *, today: date | None = None) -> FrmrPerson:
    """The person in a decoded JSON record, or ``InvalidRecord`` listing every bad field."""
    if not isinstance(value, dict):
        raise InvalidRecord(["must be a JSON object"])
    f = Fields(today or datetime.now(UTC).date())
    f.known(value, PERSON_KEYS)
    frmr_id = f.text(value, "frmr_id", 64)
    snils = ""
    if "snils" not in value:
        f.fail("snils", "is required")
    else:
        try:
            snils = parse_snils(value["snils"]).digits
        except InvalidSnils as exc:
            f.fail("snils", str(exc))
    last_name, first_name = f.text(value, "last_name", 100), f.text(value, "first_name", 100)
    middle_name = f.optional_text(value, "middle_name", 100)
    gender = value.get("gender")
    if gender not in (None, "M", "F"):
        f.fail("gender", "must be M or F")
    birth_date = f.day(value, "birth_date", required=False)
    roles = f.strings(value, "roles", 64)
    inn = f.checked(value, "inn", lambda v: checks.check_inn(v, length=12))
    phone, email = (
        f.checked(value, "phone", checks.check_phone),
        f.checked(value, "email", checks.check_email),
    )
    sections: dict[str, tuple[Any, ...]] = {}
    for section in SECTIONS:
        items = value.get(section) or []
        if not isinstance(items, list):
            f.fail(section, "must be a list")
            items = []
        elif len(items) > MAX_ITEMS:
            f.fail(section, f"must have at most {MAX_ITEMS} items")
            items = []
        read = READERS[section]
        built, sources = [], []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                built.append(read(f, item, f"{section}[{i}]."))
                sources.append(item)
            else:
                f.fail(f"{section}[{i}]", "must be a JSON object")
        sections[section] = with_record_ids(frmr_id, section, built, sources, f)
    if f.problems:
        raise InvalidRecord(f.problems)
    return FrmrPerson(
        frmr_id=frmr_id,
        snils=snils,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        gender=gender,
        birth_date=birth_date,
        roles=roles,
        inn=inn,
        phone=phone,
        email=email,
        **sections,
    )
