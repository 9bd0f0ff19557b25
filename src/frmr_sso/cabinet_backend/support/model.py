"""Support requests: the form the support process asks for, a number, a status and two deadlines.

The form: name, SNILS or licence/certificate number (at least one), e-mail,
description, the time the problem happened, an optional screenshot (PNG or
JPEG). Anyone may file one, logged in or not (a failed login is the commonest
reason to write); anonymous filing is rate-limited per IP by the web layer.

Numbers read ``SR-<year>-<NNNNNN>``: the year of filing and the request's
sequence number in the store. Deadlines from the filing time: an answer within
24 hours (``answer_due``), escalation after 72 hours without a resolution
(``escalate_at``). Status: ``new`` «Новое» → ``answered`` «Дан ответ» → ``closed`` «Закрыто».
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid, Spec, validate

ANSWER_WITHIN = timedelta(hours=24)
ESCALATE_AFTER = timedelta(hours=72)
CLOCK_SKEW = timedelta(minutes=5)
NUMBER = re.compile(r"^SR-([0-9]{4})-([0-9]{6,})$")
FIELDS: Mapping[str, Spec] = {
    "name": Spec("text", required=True, max_length=200),
    "snils": Spec("snils"),
    "licence_number": Spec("licence"),
    "email": Spec("email", required=True),
    "description": Spec("text", required=True, max_length=5000),
    "problem_time": Spec("datetime", required=True),
}


class SupportStatus(StrEnum):
    NEW = "new"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUS_LABELS = {
    SupportStatus.NEW: "Новое",
    SupportStatus.ANSWERED: "Дан ответ",
    SupportStatus.CLOSED: "Закрыто",
}


@dataclass(frozen=True, slots=True)
class SupportRequest:
    id: int
    number: str
    status: SupportStatus
    name: str
    email: str
    description: str
    problem_time: datetime
    created_at: datetime
    snils: str | None = None
    licence_number: str | None = None
    subject_id: str | None = None
    screenshot_type: str | None = None
    answered_at: datetime | None = None

    @property
    def answer_due(self) -> datetime:
        return self.created_at + ANSWER_WITHIN

    @property
    def escalate_at(self) -> datetime:
        return self.created_at + ESCALATE_AFTER

    def answer_overdue(self, now: datetime) -> bool:
        return self.status is SupportStatus.NEW and now > self.answer_due

    def escalation_due(self, now: datetime) -> bool:
        return self.status is not SupportStatus.CLOSED and now > self.escalate_at

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


TRANSITIONS = {
    SupportStatus.ANSWERED: (SupportStatus.NEW,),
    SupportStatus.CLOSED: (SupportStatus.NEW, SupportStatus.ANSWERED),
}


def format_number(year: int, sequence: int) -> str:
    return f"SR-{year:04d}-{sequence:06d}"


def parse_number(text: str) -> int | None:
    """The sequence number of ``SR-YYYY-NNNNNN``; None when it is not one."""
    match = NUMBER.match(text)
    return int(match.group(2)) if match else None


def validate_form(values: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    errors: list[FieldError] = []
    cleaned = validate(FIELDS, values, today=date.max, errors=errors)
    if not cleaned.get("snils") and not cleaned.get("licence_number") and not _named(errors, "snils"):
        errors.append(FieldError("snils", "give the SNILS or the licence number"))
    moment = cleaned.get("problem_time")
    if moment is not None and moment > now + CLOCK_SKEW:
        errors.append(FieldError("problem_time", "must not be in the future"))
    if len(cleaned.get("description", "")) > 0 and len(cleaned["description"]) < 10:
        errors.append(FieldError("description", "describe the problem in at least 10 characters"))
    if errors:
        raise Invalid(errors)
    return cleaned


def _named(errors: list[FieldError], name: str) -> bool:
    return any(e.field in (name, "licence_number") for e in errors)
