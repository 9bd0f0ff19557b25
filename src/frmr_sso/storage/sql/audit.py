"""Hash-chained audit log in SQL.

Appends are serialized so the chain never forks: each one reads the last hash
and inserts its record while holding the database's audit lock (PostgreSQL: a
transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the write lock).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.errors import StorageError, translate_errors
from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, audit_chain_hash
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.tables import audit_events

AuditHasher = Callable[[AuditRecord, str], str]

AUDIT_LOCK_KEY = 0x66726D72_61756474  # b"frmraudt": one advisory lock id for the whole chain
_LAST_HASH = sa.select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)


def _record(row: sa.Row[Any]) -> AuditRecord:
    m = row._mapping
    return AuditRecord(
        id=m["id"],
        occurred_at=m["occurred_at"],
        event_type=m["event_type"],
        outcome=m["outcome"],
        ip=m["ip"],
        user_agent=m["user_agent"],
        request_id=m["request_id"],
        client_id=m["client_id"],
        subject_id=m["subject_id"],
        snils_masked=m["snils_masked"],
        details=dict(m["details"]),
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


class SqlAuditRepository:
    def __init__(self, engine: AsyncEngine, *, hasher: AuditHasher = audit_chain_hash) -> None:
        self._engine = engine
        self._hasher = hasher

    async def _lock_chain(self, conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))

    async def append(self, record: AuditRecord) -> AuditRecord:
        if record.occurred_at.tzinfo is None:
            raise ValueError("audit occurred_at must be timezone-aware")
        record = dataclasses.replace(record, id=None, occurred_at=record.occurred_at.astimezone(UTC))
        with translate_errors("appending an audit event"):
            async with write_transaction(self._engine) as conn:
                await self._lock_chain(conn)
                prev_hash = (await conn.execute(_LAST_HASH)).scalar_one_or_none() or GENESIS_HASH
                chained = dataclasses.replace(
                    record, prev_hash=prev_hash, hash=self._hasher(record, prev_hash)
                )
                row = dataclasses.asdict(chained)
                del row["id"]
                result = await conn.execute(audit_events.insert().values(**row))
        key = result.inserted_primary_key
        if key is None or key[0] is None:
            raise StorageError("appending an audit event failed: no id assigned")
        return dataclasses.replace(chained, id=int(key[0]))

    async def list(self, *, after_id: int = 0, limit: int = 1000) -> Sequence[AuditRecord]:
        stmt = (
            audit_events.select().where(audit_events.c.id > after_id).order_by(audit_events.c.id).limit(limit)
        )
        with translate_errors("reading audit events"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [_record(row) for row in rows]
