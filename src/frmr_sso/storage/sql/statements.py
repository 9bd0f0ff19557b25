"""Statements in SQL: ordered extracts of the FRMR record and the service certificate that signs them.

``statements`` keeps one row per order (the PDF in the row once ready);
``statement_signers`` keeps the signing certificate with its sealed private key,
created once by whichever instance needs it first (the primary key settles races).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import StatementRecord, StatementSignerRecord
from frmr_sso.storage.sql.tables import UtcDateTime, metadata

statements = sa.Table(
    "statements",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("frmr_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("ready_at", UtcDateTime(), nullable=True),
    sa.Column("pdf", sa.LargeBinary(), nullable=True),
    sa.Index("ix_statements_frmr_id_created_at", "frmr_id", "created_at"),
)

statement_signers = sa.Table(
    "statement_signers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
    sa.Column("private_key_encrypted", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

_SUMMARY = (
    statements.c.id,
    statements.c.frmr_id,
    statements.c.kind,
    statements.c.status,
    statements.c.created_at,
    statements.c.ready_at,
    sa.func.length(statements.c.pdf).label("size"),
)


def _record(m: sa.RowMapping) -> StatementRecord:
    return StatementRecord(
        id=m["id"],
        frmr_id=m["frmr_id"],
        kind=m["kind"],
        status=m["status"],
        created_at=m["created_at"],
        ready_at=m["ready_at"],
        size=m["size"],
    )


def _signer(row: sa.Row[Any]) -> StatementSignerRecord:
    m = row._mapping
    return StatementSignerRecord(
        id=m["id"],
        certificate_der=bytes(m["certificate_der"]),
        private_key_encrypted=m["private_key_encrypted"],
        created_at=m["created_at"],
    )


class SqlStatementRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, statement: StatementRecord) -> None:
        row = {
            "id": statement.id,
            "frmr_id": statement.frmr_id,
            "kind": statement.kind,
            "status": statement.status,
            "created_at": statement.created_at,
            "ready_at": statement.ready_at,
        }
        with translate_errors("adding a statement"):
            async with self._engine.begin() as conn:
                await conn.execute(statements.insert().values(**row))

    async def get(self, statement_id: str) -> StatementRecord | None:
        stmt = sa.select(*_SUMMARY).where(statements.c.id == statement_id)
        with translate_errors("reading a statement"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(stmt)).first()
        return None if row is None else _record(row._mapping)

    async def list_for(self, frmr_id: str, *, limit: int = 100) -> Sequence[StatementRecord]:
        stmt = (
            sa.select(*_SUMMARY)
            .where(statements.c.frmr_id == frmr_id)
            .order_by(statements.c.created_at.desc(), statements.c.id)
            .limit(limit)
        )
        with translate_errors("listing statements"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [_record(row._mapping) for row in rows]

    async def pdf(self, statement_id: str) -> bytes | None:
        stmt = sa.select(statements.c.pdf).where(statements.c.id == statement_id)
        with translate_errors("reading a statement's PDF"):
            async with self._engine.connect() as conn:
                value = (await conn.execute(stmt)).scalar_one_or_none()
        return None if value is None else bytes(value)

    async def finish(self, statement_id: str, *, pdf: bytes, at: datetime) -> bool:
        return await self._settle(statement_id, {"status": "ready", "pdf": pdf, "ready_at": at})

    async def fail(self, statement_id: str, *, at: datetime) -> bool:
        return await self._settle(statement_id, {"status": "failed", "ready_at": at})

    async def _settle(self, statement_id: str, values: dict[str, Any]) -> bool:
        stmt = (
            statements.update()
            .where(statements.c.id == statement_id, statements.c.status == "pending")
            .values(**values)
        )
        with translate_errors("settling a statement"):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1

    async def get_signer(self, signer_id: str) -> StatementSignerRecord | None:
        stmt = statement_signers.select().where(statement_signers.c.id == signer_id)
        with translate_errors("reading the statement signer"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(stmt)).first()
        return None if row is None else _signer(row)

    async def add_signer_if_absent(self, signer: StatementSignerRecord) -> StatementSignerRecord:
        row = {
            "id": signer.id,
            "certificate_der": signer.certificate_der,
            "private_key_encrypted": signer.private_key_encrypted,
            "created_at": signer.created_at,
        }
        try:
            with translate_errors("adding the statement signer"):
                async with self._engine.begin() as conn:
                    await conn.execute(statement_signers.insert().values(**row))
        except StorageConflict:
            pass  # another instance stored one first: everyone signs with that one
        stored = await self.get_signer(signer.id)
        if stored is None:
            raise StorageConflict("the statement signer vanished after it was stored")
        return stored
