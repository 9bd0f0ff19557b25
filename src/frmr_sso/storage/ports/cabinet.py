"""Personal cabinet ports: ordered statements, change requests and support requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from frmr_sso.storage.ports.audit import AuditRecord

if TYPE_CHECKING:
    from frmr_sso.cabinet_backend.change_requests import model as _cr
    from frmr_sso.cabinet_backend.change_requests import uploads as _uploads
    from frmr_sso.cabinet_backend.support import model as _support
    from frmr_sso.registry import models as _models


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """An ordered statement (a signed PDF); ``status`` is pending, ready or failed."""

    id: str
    frmr_id: str
    kind: str
    status: str
    created_at: datetime
    ready_at: datetime | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class StatementSignerRecord:
    """The service's statement-signing certificate (DER) and its private key, sealed."""

    id: str
    certificate_der: bytes = field(repr=False)
    private_key_encrypted: str = field(repr=False)
    created_at: datetime


class StatementRepository(Protocol):
    async def add(self, statement: StatementRecord) -> None: ...

    async def get(self, statement_id: str) -> StatementRecord | None: ...

    async def list_for(self, frmr_id: str, *, limit: int = 100) -> Sequence[StatementRecord]:
        """The person's statements, newest first."""

    async def pdf(self, statement_id: str) -> bytes | None: ...

    async def finish(self, statement_id: str, *, pdf: bytes, at: datetime) -> bool:
        """Pending → ready with its PDF; False when it was not pending (another worker finished it)."""

    async def fail(self, statement_id: str, *, at: datetime) -> bool: ...

    async def get_signer(self, signer_id: str) -> StatementSignerRecord | None: ...

    async def add_signer_if_absent(self, signer: StatementSignerRecord) -> StatementSignerRecord:
        """Store ``signer`` unless one with its id exists; the stored one either way."""


# -- personal cabinet requests (see frmr_sso.cabinet_backend.change_requests, .support) ---------------------


class ChangeRequestRepository(Protocol):
    async def create(
        self, request: _cr.ChangeRequest, uploads: Sequence[_uploads.Upload], audit: AuditRecord
    ) -> tuple[_cr.ChangeRequest, AuditRecord]:
        """The request, every document and the audit record in one transaction."""

    async def get(self, request_id: str) -> _cr.ChangeRequest | None: ...

    async def list_for(self, frmr_id: str, *, limit: int = 200) -> list[_cr.ChangeRequest]:
        """The person's requests, newest first."""

    async def list_by_status(self, status: _cr.Status | None, *, limit: int = 200) -> list[_cr.ChangeRequest]:
        """Requests in ``status`` (every one for None), oldest first: the review queue."""

    async def document(self, request_id: str, document_id: str) -> tuple[_cr.DocumentInfo, bytes] | None: ...

    async def decide(
        self,
        updated: _cr.ChangeRequest,
        *,
        expected: _cr.Status,
        audit: AuditRecord,
        apply: Callable[[_models.FrmrPerson], _models.FrmrPerson] | None = None,
    ) -> AuditRecord | None:
        """``updated`` stored only if still ``expected``, the record changed by ``apply`` and the audit
        record appended, in one transaction; None and nothing written when another decision came first."""


class SupportRequestRepository(Protocol):
    async def create(
        self,
        form: dict[str, Any],
        *,
        created_at: datetime,
        subject_id: str | None,
        access_key_hash: str | None,
        screenshot: _uploads.Upload | None,
        audit: AuditRecord,
    ) -> tuple[_support.SupportRequest, AuditRecord]: ...

    async def get_by_number(self, number: str) -> tuple[_support.SupportRequest, str | None] | None:
        """The request and its access key hash."""

    async def screenshot(self, request_id: int) -> tuple[str, bytes] | None: ...

    async def move(
        self,
        request_id: int,
        *,
        to: _support.SupportStatus,
        allowed_from: tuple[_support.SupportStatus, ...],
        at: datetime,
        audit: AuditRecord,
    ) -> AuditRecord | None:
        """The status change and its audit record in one transaction; None when the status forbids it."""

    async def list(
        self, *, status: _support.SupportStatus | None = None, limit: int = 200
    ) -> Sequence[_support.SupportRequest]: ...
