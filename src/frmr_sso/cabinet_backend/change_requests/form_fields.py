"""Field-by-field validation of the cabinet's request forms; every error names its field.

``validate(specs, values)`` returns the cleaned values (dates as ``date``, the
phone as ``+7XXXXXXXXXX``, the SNILS as its eleven digits) and appends a
``FieldError`` per bad or unknown field; the caller raises ``Invalid`` with them.
Messages never quote the value: it may be personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal

from frmr_sso.identity.snils import InvalidSnils, Snils

Kind = Literal[
    "id",
    "text",
    "choice",
    "choice_int",
    "date",
    "past_date",
    "year",
    "oid",
    "oktmo",
    "rate",
    "phone",
    "email",
    "snils",
    "licence",
    "datetime",
]
MOSCOW = timezone(timedelta(hours=3), "MSK")
LAST_YEAR = 2999  # dates and times a form or query may name: 1900 to this year
_OID = re.compile(r"^[0-9]+(\.[0-9]+){2,40}$")
_OKTMO = re.compile(r"^[0-9]{8}([0-9]{3})?$")
_PHONE = re.compile(r"^\+?[78][0-9]{10}$")
_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
_LICENCE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё./ -]{3,40}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PATTERNS = {
    "id": (_ID, "must be a record id"),
    "oid": (_OID, "must be an OID, digits separated by dots"),
    "oktmo": (_OKTMO, "must be an OKTMO code, 8 or 11 digits"),
    "phone": (_PHONE, "must be a Russian phone number, +7 and ten digits"),
    "email": (_EMAIL, "must be an e-mail address"),
    "licence": (_LICENCE, "must be a licence or certificate number"),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class Invalid(ValueError):
    """One or more fields are invalid; ``errors`` names each."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Spec:
    kind: Kind
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()


def validate(
    specs: Mapping[str, Spec],
    values: Mapping[str, Any],
    *,
    today: date,
    prefix: str = "",
    errors: list[FieldError],
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in values:
        if name not in specs:
            errors.append(FieldError(f"{prefix}{str(name)[:64]}", "unknown field"))
    for name, spec in specs.items():
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                errors.append(FieldError(f"{prefix}{name}", "is required"))
            continue
        try:
            cleaned[name] = _clean(spec, raw, today)
        except ValueError as exc:
            errors.append(FieldError(f"{prefix}{name}", str(exc)))
    return cleaned


def text(raw: object, max_length: int) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be text")
    value = raw.strip()
    if len(value) > max_length:
        raise ValueError(f"at most {max_length} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def parse_date(raw: object) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    value = raw.strip() if isinstance(raw, str) else ""
    try:
        if not _DATE.match(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date, YYYY-MM-DD") from None
    if not 1900 <= day.year <= LAST_YEAR:  # far dates overflow the arithmetic that follows
        raise ValueError(f"must be a date from 1900-01-01 to {LAST_YEAR}-12-31")
    return day


def parse_datetime(raw: object) -> datetime:
    """ISO 8601; a time without an offset (an HTML ``datetime-local`` field) is read as Moscow time."""
    if isinstance(raw, datetime):
        return raw.astimezone(UTC)
    if not isinstance(raw, str) or len(raw) > 40:
        raise ValueError("must be an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(raw.strip())
        moment = (moment.replace(tzinfo=MOSCOW) if moment.tzinfo is None else moment).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset beyond the years 1..9999
        raise ValueError("must be an ISO 8601 date-time") from None
    if not 1900 <= moment.year <= LAST_YEAR:
        raise ValueError(f"must lie between the years 1900 and {LAST_YEAR}")
    return moment


def _number(raw: object, message: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(message)
    try:
        return float(raw)
    except ValueError:
        raise ValueError(message) from None


def _clean(spec: Spec, raw: object, today: date) -> Any:
    kind = spec.kind
    if kind == "text":
        return text(raw, spec.max_length)
    if kind in ("choice", "choice_int"):
        value = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else None
        if value not in spec.choices:
            raise ValueError(f"must be one of: {', '.join(spec.choices)}")
        return int(value) if kind == "choice_int" else value
    if kind in ("date", "past_date"):
        day = parse_date(raw)
        if day.year < 1900 or (kind == "past_date" and day > today):
            raise ValueError("must be a real date, not in the future")
        return day
    if kind == "year":
        year = _number(raw, "must be a year")
        if year != int(year) or not 1940 <= year <= today.year:
            raise ValueError(f"must be a year from 1940 to {today.year}")
        return int(year)
    if kind == "rate":
        rate = round(_number(raw, "must be a number"), 2)
        if not 0.05 <= rate <= 2.0:
            raise ValueError("must be from 0.05 to 2.0")
        return rate
    if kind == "datetime":
        return parse_datetime(raw)
    value = text(raw, 320)
    if kind == "snils":
        try:
            return Snils.parse(value).digits
        except InvalidSnils as exc:
            raise ValueError(str(exc)) from None
    pattern, message = _PATTERNS[kind]
    compact = re.sub(r"[\s()-]", "", value) if kind == "phone" else value
    if not pattern.match(compact):
        raise ValueError(message)
    if kind == "phone":
        return "+7" + compact[-10:]
    return compact.lower() if kind == "email" else compact
