"""Support requests in SQL: the request, its screenshot blob and its audit record in one transaction.

The number ``SR-<year>-<NNNNNN>`` is derived from the row id and the filing
year; ``get_by_number`` checks both, so a number with the wrong year finds nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.cabinet_backend.change_requests.uploads import Upload
from frmr_sso.cabinet_backend.support.model import SupportRequest, SupportStatus, format_number, parse_number
from frmr_sso.storage.errors import StorageError, translate_errors
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.registry_changes import append_audit
from frmr_sso.storage.sql.requests_tables import support_requests

_COLUMNS = [c for c in support_requests.c if c.name != "screenshot"]
MAX_PAGE = 200


def _request(row: Any) -> SupportRequest:
    m = row._mapping
    return SupportRequest(
        id=m["id"],
        number=format_number(m["created_at"].year, m["id"]),
        status=SupportStatus(m["status"]),
        name=m["name"],
        email=m["email"],
        description=m["description"],
        problem_time=m["problem_time"],
        created_at=m["created_at"],
        snils=m["snils"],
        licence_number=m["licence_number"],
        subject_id=m["subject_id"],
        screenshot_type=m["screenshot_type"],
        answered_at=m["answered_at"],
    )


class SqlSupportRequestRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        form: dict[str, Any],
        *,
        created_at: datetime,
        subject_id: str | None,
        access_key_hash: str | None,
        screenshot: Upload | None,
        audit: AuditRecord,
    ) -> tuple[SupportRequest, AuditRecord]:
        """Store the request; ``audit`` gets ``details.number`` before it is chained."""
        values = {
            "status": SupportStatus.NEW.value,
            "name": form["name"],
            "email": form["email"],
            "snils": form.get("snils"),
            "licence_number": form.get("licence_number"),
            "description": form["description"],
            "problem_time": form["problem_time"],
            "subject_id": subject_id,
            "access_key_hash": access_key_hash,
            "created_at": created_at,
            "screenshot": screenshot.data if screenshot else None,
            "screenshot_type": screenshot.content_type if screenshot else None,
        }
        with translate_errors("saving a support request"):
            async with write_transaction(self._engine) as conn:
                key = (await conn.execute(support_requests.insert().values(**values))).inserted_primary_key
                if key is None or key[0] is None:
                    raise StorageError("saving a support request failed: no id assigned")
                row = (await conn.execute(sa.select(*_COLUMNS).where(support_requests.c.id == key[0]))).one()
                request = _request(row)
                details = {**audit.details, "number": request.number}
                stored = await append_audit(conn, dataclasses.replace(audit, details=details))
        return request, stored

    async def move(
        self,
        request_id: int,
        *,
        to: SupportStatus,
        allowed_from: tuple[SupportStatus, ...],
        at: datetime,
        audit: AuditRecord,
    ) -> AuditRecord | None:
        """The status change and its audit record in one transaction; None when the status forbids it."""
        values: dict[str, Any] = {"status": to.value}
        if to is SupportStatus.ANSWERED:
            values["answered_at"] = at
        update = (
            support_requests.update()
            .where(
                support_requests.c.id == request_id,
                support_requests.c.status.in_([s.value for s in allowed_from]),
            )
            .values(**values)
        )
        with translate_errors("updating a support request"):
            async with write_transaction(self._engine) as conn:
                if (await conn.execute(update)).rowcount != 1:
                    return None
                return await append_audit(conn, audit)

    async def get_by_number(self, number: str) -> tuple[SupportRequest, str | None] | None:
        """The request and its access key hash; None for an unknown or malformed number."""
        sequence = parse_number(number)
        if sequence is None or sequence > 2**31 - 1:
            return None
        query = sa.select(*_COLUMNS).where(support_requests.c.id == sequence)
        with translate_errors("reading a support request"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).first()
        if row is None:
            return None
        request = _request(row)
        return (request, row.access_key_hash) if request.number == number else None

    async def screenshot(self, request_id: int) -> tuple[str, bytes] | None:
        query = sa.select(support_requests.c.screenshot_type, support_requests.c.screenshot).where(
            support_requests.c.id == request_id
        )
        with translate_errors("reading a screenshot"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).first()
        return None if row is None or row.screenshot is None else (row.screenshot_type, bytes(row.screenshot))

    async def list(
        self, *, status: SupportStatus | None = None, limit: int = MAX_PAGE
    ) -> list[SupportRequest]:
        query = sa.select(*_COLUMNS)
        if status is not None:
            query = query.where(support_requests.c.status == status.value)
        with translate_errors("listing support requests"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query.order_by(support_requests.c.id).limit(limit))).all()
        return [_request(row) for row in rows]
