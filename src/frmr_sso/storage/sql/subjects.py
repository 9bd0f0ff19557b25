"""Broker subjects in SQL: one stable ``sub`` per ESIA account (oid)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import SubjectRecord, utcnow
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.tables import subjects


def _record(row: sa.Row[Any]) -> SubjectRecord:
    m = row._mapping
    return SubjectRecord(
        id=m["id"],
        esia_oid=m["esia_oid"],
        snils_hash=m["snils_hash"],
        created_at=m["created_at"],
        last_login_at=m["last_login_at"],
    )


class SqlSubjectRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _one(self, where: sa.ColumnElement[bool]) -> SubjectRecord | None:
        with translate_errors("reading a subject"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(subjects.select().where(where))).first()
        return None if row is None else _record(row)

    async def get(self, subject_id: str) -> SubjectRecord | None:
        return await self._one(subjects.c.id == subject_id)

    async def get_by_esia_oid(self, esia_oid: str) -> SubjectRecord | None:
        return await self._one(subjects.c.esia_oid == esia_oid)

    async def get_or_create_by_esia_oid(
        self, esia_oid: str, *, snils_hash: str | None = None, earlier_snils_hashes: Sequence[str] = ()
    ) -> SubjectRecord:
        existing = await self.get_by_esia_oid(esia_oid)
        if existing is not None:
            if snils_hash is not None and existing.snils_hash in earlier_snils_hashes:
                return await self._rekey_snils(existing, snils_hash)
            return existing
        earlier = [h for h in earlier_snils_hashes if h != snils_hash]
        if earlier and await self._one(subjects.c.snils_hash.in_(earlier)) is not None:
            raise StorageConflict("creating a subject: the SNILS is linked to another account")
        # INSERT .. ON CONFLICT DO NOTHING waits for a racing insert of the same oid
        # and then yields to it; the SELECT after it sees whichever row won.
        insert = upsert_insert(self._engine, subjects).values(
            id=str(uuid.uuid4()), esia_oid=esia_oid, snils_hash=snils_hash, created_at=utcnow()
        )
        # Any unique conflict (oid or SNILS hash) is absorbed here; a SNILS already bound to
        # another oid shows up below as no row for this oid.
        insert = insert.on_conflict_do_nothing()
        with translate_errors("creating a subject"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(insert)
                row = (await conn.execute(subjects.select().where(subjects.c.esia_oid == esia_oid))).first()
        if row is None:
            raise StorageConflict("creating a subject: the SNILS is linked to another account")
        return _record(row)

    async def _rekey_snils(self, subject: SubjectRecord, snils_hash: str) -> SubjectRecord:
        stmt = (
            subjects.update()
            .where(subjects.c.id == subject.id, subjects.c.snils_hash == subject.snils_hash)
            .values(snils_hash=snils_hash)
        )
        with translate_errors("re-keying a subject's SNILS hash"):
            async with self._engine.begin() as conn:
                await conn.execute(stmt)
        return replace(subject, snils_hash=snils_hash)

    async def touch_login(self, subject_id: str, at: datetime | None = None) -> bool:
        stmt = subjects.update().where(subjects.c.id == subject_id).values(last_login_at=at or utcnow())
        with translate_errors("recording a login"):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1
