"""The base of the personal cabinet's use cases: the caller, the errors, the audit record builder.

The caller is either a ``Worker`` (a bearer token naming an FRMR record) who sees
only their own requests and documents, or a reviewer (a registry administrator)
who sees every request.

    ChangeRequestError
    ├── NotFound            no such request (or not the worker's: the same answer)
    ├── Conflict            the request is not in a state that allows the step
    ├── CodeRefused         wrong or expired one-time code; ``lock`` when locked out
    └── (form_fields.Invalid, uploads.UploadRejected: bad input, each naming its field)

``audit_record`` builds the record a repository appends in the same transaction
as the state change it describes (change requests, support requests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from frmr_sso.audit.events import INFO, AuditContext, Event
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.security.lockout import LockStatus
from frmr_sso.storage.ports import AuditRecord

MAX_USER_AGENT = 512


class ChangeRequestError(Exception):
    pass


class NotFound(ChangeRequestError):
    pass


class Conflict(ChangeRequestError):
    pass


class CodeRefused(ChangeRequestError):
    def __init__(self, lock: LockStatus | None) -> None:
        super().__init__("the code is wrong or expired")
        self.lock = lock


@dataclass(frozen=True, slots=True)
class Worker:
    subject_id: str
    frmr_id: str
    client_id: str | None = None


class PersonReader(Protocol):
    async def get(self, frmr_id: str) -> FrmrPerson | None: ...


def audit_record(
    event: Event,
    context: AuditContext,
    *,
    outcome: str = INFO,
    now: datetime,
    subject_id: str | None = None,
    client_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """The record ``Auditor.record`` would write, for a repository to append in its own transaction."""
    return AuditRecord(
        event_type=event.value,
        outcome=outcome,
        occurred_at=now,
        ip=context.ip,
        user_agent=context.user_agent[:MAX_USER_AGENT] if context.user_agent else None,
        request_id=context.request_id,
        client_id=client_id,
        subject_id=subject_id,
        details={k: v for k, v in (details or {}).items() if v is not None},
    )
