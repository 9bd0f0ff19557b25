"""Change requests: a worker proposes a correction of their FRMR record, an administrator decides.

    education, workplace: submit ─▶ pending «На проверке» ─┬─ approve ─▶ approved «Одобрено»
                                                           └─ reject (reason) ─▶ rejected «Отклонено»
    contacts:  submit ─▶ awaiting_code «Ожидает подтверждения» ─ confirm (one-time code) ─▶ approved

Education and place-of-work corrections need at least one supporting document
(``uploads.py``) and an administrator's review. A contacts change proves itself:
the one-time code sent to the new contact confirms it, and it is applied then.
Every proposal is validated field by field (``form_fields.py``); unknown fields are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid, Spec, validate
from frmr_sso.registry.directories import directories

MAX_DOCUMENTS = 5
MAX_REASON = 1000
MAX_COMMENT = 1000


class Section(StrEnum):
    EDUCATION = "education"
    WORKPLACE = "workplace"
    CONTACTS = "contacts"


class Status(StrEnum):
    AWAITING_CODE = "awaiting_code"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_LABELS = {
    Status.AWAITING_CODE: "Ожидает подтверждения",
    Status.PENDING: "На проверке",
    Status.APPROVED: "Одобрено",
    Status.REJECTED: "Отклонено",
}


def section_fields() -> dict[Section, dict[str, Spec]]:
    """Each section's fields and their rules, which the cabinet's forms follow too.

    Field names follow ``registry.models``/``sections``; codes come from the directories.
    """
    found = directories()
    return {
        Section.EDUCATION: {
            "record_id": Spec("id"),
            "kind": Spec("choice", required=True, choices=tuple(found.kinds.get("education", {}))),
            "institution": Spec("text", required=True, max_length=500),
            "speciality_code": Spec("choice", required=True, choices=tuple(found.specialities)),
            "qualification": Spec("text", max_length=300),
            "diploma_series": Spec("text", max_length=20),
            "diploma_number": Spec("text", required=True, max_length=30),
            "diploma_date": Spec("past_date", required=True),
            "graduation_year": Spec("year", required=True),
        },
        Section.WORKPLACE: {
            "record_id": Spec("id"),
            "organization_oid": Spec("oid", required=True),
            "organization_name": Spec("text", required=True, max_length=500),
            "oktmo": Spec("oktmo"),
            "post_id": Spec("choice", required=True, choices=tuple(found.posts)),
            "position_type": Spec("choice_int", required=True, choices=("1", "2", "3", "4")),
            "rate": Spec("rate", required=True),
            "begin_date": Spec("past_date", required=True),
            "end_date": Spec("date"),
        },
        Section.CONTACTS: {"phone": Spec("phone"), "email": Spec("email")},
    }


class InvalidTransition(Exception):
    """The request is not in a state that allows this step."""

    def __init__(self, status: Status, step: str) -> None:
        super().__init__(f"a request that is {status.value} cannot be {step}")
        self.status, self.step = status, step


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    id: str
    frmr_id: str
    subject_id: str
    section: Section
    proposal: dict[str, Any]
    status: Status
    created_at: datetime
    updated_at: datetime
    comment: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    documents: tuple[DocumentInfo, ...] = field(default=())

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def parse_section(value: object) -> Section:
    try:
        return Section(str(value))
    except ValueError:
        choices = ", ".join(s.value for s in Section)
        raise Invalid([FieldError("section", f"must be one of: {choices}")]) from None


def validate_proposal(
    section: Section, fields: object, *, documents: int, today: date, comment: object = None
) -> tuple[dict[str, Any], str | None]:
    """The cleaned proposal and comment; ``Invalid`` naming every offending field otherwise."""
    errors: list[FieldError] = []
    if not isinstance(fields, Mapping):
        raise Invalid([FieldError("fields", "must be an object")])
    cleaned = validate(section_fields()[section], fields, today=today, prefix="fields.", errors=errors)
    if section is Section.CONTACTS:
        if not cleaned and not errors:  # a bad phone or e-mail is named as such
            errors.append(FieldError("fields", "give a new phone or e-mail"))
        elif len(cleaned) > 1:
            errors.append(FieldError("fields", "change one contact per request: phone or email"))
        if documents:
            errors.append(FieldError("documents", "a contacts change is confirmed by a code, not documents"))
    elif documents < 1:
        errors.append(FieldError("documents", "attach at least one supporting document (PDF or JPEG)"))
    if documents > MAX_DOCUMENTS:
        errors.append(FieldError("documents", f"at most {MAX_DOCUMENTS} documents"))
    begin, end = cleaned.get("begin_date"), cleaned.get("end_date")
    if begin is not None and end is not None and end < begin:
        errors.append(FieldError("fields.end_date", "must not be before begin_date"))
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        errors.append(FieldError("comment", f"must be text of at most {MAX_COMMENT} characters"))
    if errors:
        raise Invalid(errors)
    return cleaned, (comment.strip() or None) if isinstance(comment, str) else None


def initial_status(section: Section) -> Status:
    return Status.AWAITING_CODE if section is Section.CONTACTS else Status.PENDING


def approve(request: ChangeRequest, *, by: str, at: datetime) -> ChangeRequest:
    if request.status is not Status.PENDING:
        raise InvalidTransition(request.status, "approved")
    return dataclasses.replace(request, status=Status.APPROVED, decided_by=by, decided_at=at, updated_at=at)


def reject(request: ChangeRequest, *, reason: object, by: str, at: datetime) -> ChangeRequest:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise Invalid([FieldError("reason", f"give the reason, at most {MAX_REASON} characters")])
    if request.status is not Status.PENDING:
        raise InvalidTransition(request.status, "rejected")
    return dataclasses.replace(
        request, status=Status.REJECTED, reason=text, decided_by=by, decided_at=at, updated_at=at
    )


def confirm(request: ChangeRequest, *, at: datetime) -> ChangeRequest:
    if request.status is not Status.AWAITING_CODE:
        raise InvalidTransition(request.status, "confirmed")
    return dataclasses.replace(
        request, status=Status.APPROVED, decided_by="one-time-code", decided_at=at, updated_at=at
    )


def parse_stored(request: ChangeRequest) -> ChangeRequest:
    """The request with its stored (JSON) proposal typed again: dates back to ``date``."""
    errors: list[FieldError] = []
    fields = section_fields()[request.section]
    proposal = validate(fields, request.proposal, today=date.max, prefix="fields.", errors=errors)
    if errors:
        raise Invalid(errors)
    return dataclasses.replace(request, proposal=proposal)
