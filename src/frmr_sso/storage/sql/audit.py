"""Hash-chained audit log in SQL.

Appends are serialized so the chain never forks: each one reads the last hash
and inserts its record while holding the database's audit lock (PostgreSQL: a
transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the write lock).

The retention purge deletes only a prefix of the chain, one short transaction
per batch under the same lock, and appends in that transaction the checkpoint
that ``frmr_sso.audit.verify`` accepts as the new start of the chain. So the
chain is verifiable after every commit, even when a purge stops half way.

Searches are keyset pages in id order. On PostgreSQL ``subject_id`` and
``occurred_at`` have indexes (migration 0001); ``client_id``, ``event_type``
and ``ip`` have none, so a page filtered only by one of those walks the primary
key: a migration adding ``(client_id, id)``, ``(event_type, id)`` and
``(ip, id)`` would serve them (tests/integration/audit/test_search.py tracks it).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.errors import StorageError, translate_errors
from frmr_sso.storage.ports import (
    GENESIS_HASH,
    AuditFilter,
    AuditRecord,
    PurgedBatch,
    audit_chain_hash,
)
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.tables import audit_events

AuditHasher = Callable[[AuditRecord, str], str]

AUDIT_LOCK_KEY = 0x66726D72_61756474  # b"frmraudt": one advisory lock id for the whole chain
_LAST_HASH = sa.select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)


def record_of(row: sa.Row[Any]) -> AuditRecord:
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


def _normalised(record: AuditRecord) -> AuditRecord:
    if record.occurred_at.tzinfo is None:
        raise ValueError("audit occurred_at must be timezone-aware")
    return dataclasses.replace(record, id=None, occurred_at=record.occurred_at.astimezone(UTC))


def _row(record: AuditRecord) -> dict[str, Any]:
    row = dataclasses.asdict(record)
    del row["id"]
    return row


_EQUAL = ("subject_id", "client_id", "event_type", "ip")


def search_statement(where: AuditFilter, *, after_id: int, limit: int) -> sa.Select[Any]:
    conditions = [audit_events.c[name] == getattr(where, name) for name in _EQUAL if getattr(where, name)]
    if where.occurred_from is not None:
        conditions.append(audit_events.c.occurred_at >= where.occurred_from)
    if where.occurred_to is not None:
        conditions.append(audit_events.c.occurred_at < where.occurred_to)
    stmt = audit_events.select().where(audit_events.c.id > after_id, *conditions)
    return stmt.order_by(audit_events.c.id).limit(limit)


class SqlAuditRepository:
    def __init__(self, engine: AsyncEngine, *, hasher: AuditHasher = audit_chain_hash) -> None:
        self._engine = engine
        self._hasher = hasher

    async def _lock_chain(self, conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))

    async def append(self, record: AuditRecord) -> AuditRecord:
        with translate_errors("appending an audit event"):
            async with write_transaction(self._engine) as conn:
                await self._lock_chain(conn)
                return await self._append_locked(conn, record)

    async def append_batch(self, records: Sequence[AuditRecord]) -> list[AuditRecord]:
        """Chain ``records`` in order and insert them in one transaction (one lock, one commit).

        One multi-row INSERT whose rows take their ids in parameter order
        (``sort_by_parameter_order``), so id order is chain order.
        """
        if not records:
            return []
        with translate_errors("appending audit events"):
            async with write_transaction(self._engine) as conn:
                await self._lock_chain(conn)
                prev_hash = (await conn.execute(_LAST_HASH)).scalar_one_or_none() or GENESIS_HASH
                chained = []
                for record in records:
                    record = _normalised(record)
                    record = dataclasses.replace(
                        record, prev_hash=prev_hash, hash=self._hasher(record, prev_hash)
                    )
                    prev_hash = record.hash
                    chained.append(record)
                rows = [_row(record) for record in chained]
                stmt = audit_events.insert().returning(audit_events.c.id, sort_by_parameter_order=True)
                ids = [int(row[0]) for row in (await conn.execute(stmt, rows)).all()]
        if len(ids) != len(chained) or ids != sorted(ids):
            raise StorageError("appending audit events failed: ids not assigned in order")
        return [dataclasses.replace(record, id=id_) for record, id_ in zip(chained, ids, strict=True)]

    async def _append_locked(self, conn: AsyncConnection, record: AuditRecord) -> AuditRecord:
        record = _normalised(record)
        prev_hash = (await conn.execute(_LAST_HASH)).scalar_one_or_none() or GENESIS_HASH
        chained = dataclasses.replace(record, prev_hash=prev_hash, hash=self._hasher(record, prev_hash))
        result = await conn.execute(audit_events.insert().values(**_row(chained)))
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
        return [record_of(row) for row in rows]

    async def search(
        self, where: AuditFilter, *, after_id: int = 0, limit: int = 100
    ) -> Sequence[AuditRecord]:
        stmt = search_statement(where, after_id=after_id, limit=limit)
        with translate_errors("searching audit events"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [record_of(row) for row in rows]

    async def chain(self, *, batch: int = 1000) -> AsyncGenerator[AuditRecord, None]:
        with translate_errors("reading the audit chain"):
            async with self._engine.connect() as conn:
                if conn.dialect.name == "postgresql":  # one snapshot across every batch
                    await conn.execution_options(isolation_level="REPEATABLE READ")
                async with conn.begin():  # SQLite (WAL): the first read fixes the snapshot
                    after_id = 0
                    while True:
                        stmt = audit_events.select().where(audit_events.c.id > after_id)
                        rows = (await conn.execute(stmt.order_by(audit_events.c.id).limit(batch))).all()
                        for row in rows:
                            yield record_of(row)
                        if len(rows) < batch:
                            return
                        after_id = rows[-1].id

    async def purge_batch(
        self, before: datetime, *, limit: int, checkpoint: Callable[[PurgedBatch], AuditRecord]
    ) -> PurgedBatch | None:
        oldest = audit_events.select().with_only_columns(
            audit_events.c.id, audit_events.c.occurred_at, audit_events.c.hash
        )
        with translate_errors("purging audit events"):
            async with write_transaction(self._engine) as conn:
                await self._lock_chain(conn)
                rows = (await conn.execute(oldest.order_by(audit_events.c.id).limit(limit))).all()
                old = list(itertools.takewhile(lambda row: row.occurred_at < before, rows))
                if not old:
                    return None
                if conn.dialect.name == "postgresql":  # the append-only trigger lets only this delete
                    await conn.execute(sa.text("SET LOCAL frmr_sso.audit_purge = 'on'"))
                await conn.execute(audit_events.delete().where(audit_events.c.id <= old[-1].id))
                batch = PurgedBatch(
                    count=len(old), first_id=old[0].id, last_id=old[-1].id, last_hash=old[-1].hash
                )
                await self._append_locked(conn, checkpoint(batch))
        return batch
