"""A person's consents to third-party clients and the person's own login history, in SQL.

A consent is one row per (person, client) holding every scope the person allowed that
client; a new consent adds its scopes inside a write transaction (the row is created if
missing, then read and written under a row lock on PostgreSQL, the write lock on SQLite,
so two consents at once both count). The login
history reads the audit log by ``(subject_id, id)`` (an index since migration 0011),
newest first, never the whole log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import AuditRecord, ConsentRecord
from frmr_sso.storage.sql.audit import record_of
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.tables import audit_events, consents


def _consent(row: sa.Row[Any]) -> ConsentRecord:
    m = row._mapping
    return ConsentRecord(
        subject_id=m["subject_id"], client_id=m["client_id"], scopes=tuple(m["scopes"]),
        granted_at=m["granted_at"], updated_at=m["updated_at"],
    )


def _key(subject_id: str, client_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(consents.c.subject_id == subject_id, consents.c.client_id == client_id)


class SqlConsentRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, subject_id: str, client_id: str) -> ConsentRecord | None:
        with translate_errors("reading a consent"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(consents.select().where(_key(subject_id, client_id)))).first()
        return None if row is None else _consent(row)

    async def grant(
        self, subject_id: str, client_id: str, scopes: Sequence[str], *, at: datetime
    ) -> ConsentRecord:
        fresh = {
            "subject_id": subject_id, "client_id": client_id, "scopes": [], "granted_at": at, "updated_at": at
        }
        insert = upsert_insert(self._engine, consents).values(**fresh).on_conflict_do_nothing()
        with translate_errors("storing a consent"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(insert)  # the row exists from here on: the lock below always holds it
                stmt = consents.select().where(_key(subject_id, client_id))
                if conn.dialect.name == "postgresql":
                    stmt = stmt.with_for_update()
                known = _consent((await conn.execute(stmt)).one())
                merged = tuple(dict.fromkeys((*known.scopes, *scopes)))
                update = consents.update().where(_key(subject_id, client_id))
                await conn.execute(update.values(scopes=list(merged), updated_at=at))
                return ConsentRecord(subject_id, client_id, merged, known.granted_at, at)

    async def list_for(self, subject_id: str) -> Sequence[ConsentRecord]:
        stmt = consents.select().where(consents.c.subject_id == subject_id)
        stmt = stmt.order_by(consents.c.updated_at.desc(), consents.c.client_id)
        with translate_errors("listing consents"):
            async with self._engine.connect() as conn:
                return [_consent(row) for row in (await conn.execute(stmt)).all()]

    async def revoke(self, subject_id: str, client_id: str) -> bool:
        with translate_errors("revoking a consent"):
            async with self._engine.begin() as conn:
                result = await conn.execute(consents.delete().where(_key(subject_id, client_id)))
                return bool(result.rowcount)


def person_events_statement(
    subject_id: str, event_types: frozenset[str], *, since: datetime, before_id: int | None, limit: int
) -> sa.Select[Any]:
    """Served by ``(subject_id, id)``: the person's records backwards from ``before_id``, no sort."""
    conditions = [
        audit_events.c.subject_id == subject_id,
        audit_events.c.event_type.in_(sorted(event_types)),
        audit_events.c.occurred_at >= since,
    ]
    if before_id is not None:
        conditions.append(audit_events.c.id < before_id)
    return audit_events.select().where(*conditions).order_by(audit_events.c.id.desc()).limit(limit)


class SqlPersonAuditReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def person_events(
        self, subject_id: str, event_types: frozenset[str], *,
        since: datetime, before_id: int | None, limit: int,
    ) -> Sequence[AuditRecord]:
        stmt = person_events_statement(subject_id, event_types, since=since, before_id=before_id, limit=limit)
        with translate_errors("reading a person's login history"):
            async with self._engine.connect() as conn:
                return [record_of(row) for row in (await conn.execute(stmt)).all()]
