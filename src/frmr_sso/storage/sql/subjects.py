"""Broker subjects in SQL: one stable ``sub`` per person, found by the upstream identity it was
created with (``esia_oid``) or linked later (``subject_links``), and by the verified SNILS's hash."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import LoginSubject, SubjectLink, SubjectRecord, utcnow
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.single_statement import one_write, reader
from frmr_sso.storage.sql.tables import subject_links, subjects


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
        self._reader = reader(engine)  # lookups are one statement each

    async def _one(self, where: sa.ColumnElement[bool]) -> SubjectRecord | None:
        with translate_errors("reading a subject"):
            async with self._reader.connect() as conn:
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

    async def for_login(
        self, link_key: str, *, connector: str, snils_hash: str, earlier_snils_hashes: Sequence[str] = ()
    ) -> LoginSubject:
        found = await self._login_of(link_key)  # a returning person: one statement finds and records
        if found is not None:
            return LoginSubject(await self._keyed(found, snils_hash, earlier_snils_hashes))
        mapped = await self._map_login(link_key, connector, snils_hash, earlier_snils_hashes)
        at = utcnow()
        await self.touch_login(mapped.subject.id, at)
        return replace(mapped, subject=replace(mapped.subject, last_login_at=at))

    async def _login_of(self, esia_oid: str) -> SubjectRecord | None:
        """The subject created with this identity, its ``last_login_at`` set now in the same statement."""
        stmt = (
            subjects.update()
            .where(subjects.c.esia_oid == esia_oid)
            .values(last_login_at=utcnow())
            .returning(*subjects.c)
        )
        with translate_errors("recording a login"):
            async with one_write(self._engine) as conn:
                row = (await conn.execute(stmt)).first()
        return None if row is None else _record(row)

    async def _map_login(
        self, link_key: str, connector: str, snils_hash: str, earlier_snils_hashes: Sequence[str]
    ) -> LoginSubject:
        """A linked identity's subject, or the SNILS holder's (the identity linked to it), or a new one."""
        known = [snils_hash, *(h for h in earlier_snils_hashes if h != snils_hash)]
        for _ in range(2):  # a second pass after a racing first login took the SNILS
            found = await self._by_link_key(link_key)
            if found is not None:
                return LoginSubject(await self._keyed(found, snils_hash, earlier_snils_hashes))
            holder = await self._one(subjects.c.snils_hash.in_(known))
            if holder is not None:
                return await self._link(holder, link_key, connector, snils_hash)
            insert = upsert_insert(self._engine, subjects).values(
                id=str(uuid.uuid4()), esia_oid=link_key, snils_hash=snils_hash, created_at=utcnow()
            ).on_conflict_do_nothing()
            with translate_errors("creating a subject"):
                async with write_transaction(self._engine) as conn:
                    await conn.execute(insert)
            created = await self.get_by_esia_oid(link_key)
            if created is not None:
                return LoginSubject(created)
        raise StorageConflict("mapping a login: the SNILS and the identity belong to different subjects")

    async def _by_link_key(self, link_key: str) -> SubjectRecord | None:
        first = await self.get_by_esia_oid(link_key)
        if first is not None:
            return first
        linked = sa.select(subject_links.c.subject_id).where(subject_links.c.link_key == link_key)
        return await self._one(subjects.c.id == linked.scalar_subquery())

    async def _link(
        self, holder: SubjectRecord, link_key: str, connector: str, snils_hash: str
    ) -> LoginSubject:
        if holder.snils_hash != snils_hash:
            holder = await self._rekey_snils(holder, snils_hash)
        if holder.esia_oid == link_key:  # a racing first login of this very identity created it
            return LoginSubject(holder)
        insert = upsert_insert(self._engine, subject_links).values(
            link_key=link_key, subject_id=holder.id, connector=connector, linked_at=utcnow()
        ).on_conflict_do_nothing()
        with translate_errors("linking an identity to a subject"):
            async with write_transaction(self._engine) as conn:
                inserted = (await conn.execute(insert)).rowcount == 1
        owner = await self._by_link_key(link_key)
        if owner is None or owner.id != holder.id:  # a racing login linked it elsewhere, then it went
            raise StorageConflict("linking an identity: it belongs to another subject")
        return LoginSubject(owner, linked=inserted)

    async def links_of(self, subject_id: str) -> list[SubjectLink]:
        query = subject_links.select().where(subject_links.c.subject_id == subject_id)
        with translate_errors("reading a subject's links"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query.order_by(subject_links.c.linked_at))).all()
        return [SubjectLink(**row._mapping) for row in rows]

    async def unlink(self, subject_id: str, connector: str) -> int:
        stmt = subject_links.delete().where(
            subject_links.c.subject_id == subject_id, subject_links.c.connector == connector
        )
        with translate_errors("unlinking an identity"):
            async with self._engine.begin() as conn:
                return int((await conn.execute(stmt)).rowcount)

    async def _keyed(
        self, subject: SubjectRecord, snils_hash: str, earlier_snils_hashes: Sequence[str]
    ) -> SubjectRecord:
        """``subject`` with its SNILS hash under the current key (re-keyed when it held an earlier one)."""
        if subject.snils_hash in earlier_snils_hashes and subject.snils_hash != snils_hash:
            return await self._rekey_snils(subject, snils_hash)
        return subject

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
