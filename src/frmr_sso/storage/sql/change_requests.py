"""Change requests and their documents in SQL (tables in ``requests_tables.py``).

``create`` writes the request, every document blob and the audit record in one
transaction: a failure leaves none of them. ``decide`` moves a request from the
status it was read in (a conditional UPDATE: two reviewers cannot both decide),
applies the change to the FRMR record when asked, and appends the audit record,
again in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.cabinet_backend.change_requests.model import ChangeRequest, DocumentInfo, Section, Status
from frmr_sso.cabinet_backend.change_requests.uploads import Upload, new_document_id
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.registry_changes import append_audit, load_person, lock_person, write_person
from frmr_sso.storage.sql.requests_tables import change_request_documents, change_requests

_SECTIONS_OF = {Section.EDUCATION: ("education",), Section.WORKPLACE: ("employments",), Section.CONTACTS: ()}
_INFO = (
    change_request_documents.c.id,
    change_request_documents.c.request_id,
    change_request_documents.c.filename,
    change_request_documents.c.content_type,
    change_request_documents.c.size,
    change_request_documents.c.sha256,
)
MAX_PAGE = 200


def _request(row: sa.Row[Any], documents: Sequence[DocumentInfo]) -> ChangeRequest:
    m = row._mapping
    return ChangeRequest(
        id=m["id"],
        frmr_id=m["frmr_id"],
        subject_id=m["subject_id"],
        section=Section(m["section"]),
        proposal=dict(m["proposal"]),
        status=Status(m["status"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        comment=m["comment"],
        reason=m["reason"],
        decided_by=m["decided_by"],
        decided_at=m["decided_at"],
        documents=tuple(documents),
    )


def _info(row: Any) -> DocumentInfo:
    return DocumentInfo(row.id, row.filename, row.content_type, row.size, row.sha256)


def _row(request: ChangeRequest, proposal: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": request.id,
        "frmr_id": request.frmr_id,
        "subject_id": request.subject_id,
        "section": request.section.value,
        "proposal": proposal,
        "comment": request.comment,
        "status": request.status.value,
        "reason": request.reason,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
    }


def stored_proposal(proposal: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: dates as ISO text (they read back as text; the apply step parses them again)."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in proposal.items()}


async def _nothing() -> None:
    return None


class SqlChangeRequestRepository:
    """``registry_changed`` is awaited after a decision that wrote a person's record has committed."""

    def __init__(
        self, engine: AsyncEngine, *, registry_changed: Callable[[], Awaitable[None]] = _nothing
    ) -> None:
        self._engine, self._registry_changed = engine, registry_changed

    async def create(
        self, request: ChangeRequest, uploads: Sequence[Upload], audit: AuditRecord
    ) -> tuple[ChangeRequest, AuditRecord]:
        infos = [
            DocumentInfo(new_document_id(), u.filename, u.content_type, u.size, u.sha256) for u in uploads
        ]
        with translate_errors("saving a change request"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(
                    change_requests.insert().values(**_row(request, stored_proposal(request.proposal)))
                )
                if uploads:
                    await conn.execute(
                        change_request_documents.insert(),
                        [
                            {
                                "id": info.id,
                                "request_id": request.id,
                                "filename": info.filename,
                                "content_type": info.content_type,
                                "size": info.size,
                                "sha256": info.sha256,
                                "data": upload.data,
                                "created_at": request.created_at,
                            }
                            for info, upload in zip(infos, uploads, strict=True)
                        ],
                    )
                stored = await append_audit(conn, audit)
        return dataclasses.replace(request, documents=tuple(infos)), stored

    async def get(self, request_id: str) -> ChangeRequest | None:
        with translate_errors("reading a change request"):
            async with self._engine.connect() as conn:
                found = await self._select(conn, change_requests.c.id == request_id, limit=1)
        return found[0] if found else None

    async def list_for(self, frmr_id: str, *, limit: int = MAX_PAGE) -> list[ChangeRequest]:
        with translate_errors("listing change requests"):
            async with self._engine.connect() as conn:
                return await self._select(conn, change_requests.c.frmr_id == frmr_id, limit=limit)

    async def list_by_status(self, status: Status | None, *, limit: int = MAX_PAGE) -> list[ChangeRequest]:
        where = sa.true() if status is None else change_requests.c.status == status.value
        with translate_errors("listing change requests"):
            async with self._engine.connect() as conn:
                return await self._select(conn, where, limit=limit, oldest_first=True)

    async def _select(
        self, conn: AsyncConnection, where: sa.ColumnElement[bool], *, limit: int, oldest_first: bool = False
    ) -> list[ChangeRequest]:
        order = change_requests.c.created_at if oldest_first else change_requests.c.created_at.desc()
        query = change_requests.select().where(where).order_by(order, change_requests.c.id).limit(limit)
        rows = (await conn.execute(query)).all()
        documents: dict[str, list[DocumentInfo]] = {}
        ids = [row.id for row in rows]
        if ids:
            docs = sa.select(*_INFO).where(change_request_documents.c.request_id.in_(ids))
            for doc in await conn.execute(docs.order_by(change_request_documents.c.created_at)):
                documents.setdefault(doc.request_id, []).append(_info(doc))
        return [_request(row, documents.get(row.id, ())) for row in rows]

    async def document(self, request_id: str, document_id: str) -> tuple[DocumentInfo, bytes] | None:
        query = sa.select(*_INFO, change_request_documents.c.data).where(
            change_request_documents.c.id == document_id, change_request_documents.c.request_id == request_id
        )
        with translate_errors("reading a document"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).first()
        return None if row is None else (_info(row), bytes(row.data))

    async def decide(
        self,
        updated: ChangeRequest,
        *,
        expected: Status,
        audit: AuditRecord,
        apply: Callable[[FrmrPerson], FrmrPerson] | None = None,
    ) -> AuditRecord | None:
        """Store ``updated`` if the request is still ``expected``; None (nothing written) otherwise.

        With ``apply`` the person's record becomes ``apply(record)`` in the same transaction;
        whatever ``apply`` raises rolls everything back and reaches the caller.
        """
        values = {
            k: v
            for k, v in _row(updated, {}).items()
            if k in ("status", "reason", "decided_by", "decided_at", "updated_at")
        }
        try:
            with translate_errors("deciding a change request"):
                stored = await self._decide(
                    updated, expected=expected, audit=audit, apply=apply, values=values
                )
        except _Lost:
            return None
        if apply is not None:
            await self._registry_changed()
        return stored

    async def _decide(
        self,
        updated: ChangeRequest,
        *,
        expected: Status,
        audit: AuditRecord,
        apply: Callable[[FrmrPerson], FrmrPerson] | None,
        values: dict[str, Any],
    ) -> AuditRecord:
        async with write_transaction(self._engine) as conn:
            await lock_person(conn, updated.frmr_id)
            result = await conn.execute(
                change_requests.update()
                .where(change_requests.c.id == updated.id, change_requests.c.status == expected.value)
                .values(**values)
            )
            if result.rowcount != 1:
                raise _Lost
            if apply is not None:
                person = await load_person(conn, updated.frmr_id)
                if person is None:
                    raise LookupError("the FRMR record is gone")
                await write_person(conn, apply(person), _SECTIONS_OF[updated.section])
            return await append_audit(conn, audit)


class _Lost(Exception):
    """Another decision came first: roll back, write nothing."""
