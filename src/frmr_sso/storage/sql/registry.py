"""FRMR registry in SQL: persons by SNILS (unique) with their employment records.

On PostgreSQL every write of a person holds a transaction advisory lock on its
``frmr_id``; a batch takes all of its locks first, in key order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import utcnow
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.registry_tables import frmr_employments, frmr_persons


def _employment(row: sa.Row[Any]) -> Employment:
    m = row._mapping
    return Employment(
        organization_oid=m["organization_oid"],
        organization_name=m["organization_name"],
        post_id=m["post_id"],
        post_name=m["post_name"],
        position_type=PositionType(m["position_type"]),
        rate=float(m["rate"]),
        begin_date=m["begin_date"],
        end_date=m["end_date"],
    )


def _person(row: sa.Row[Any], employments: Iterable[Employment]) -> FrmrPerson:
    m = row._mapping
    return FrmrPerson(
        frmr_id=m["frmr_id"],
        snils=m["snils"],
        last_name=m["last_name"],
        first_name=m["first_name"],
        middle_name=m["middle_name"],
        gender=m["gender"],
        birth_date=m["birth_date"],
        roles=tuple(m["roles"] or ()),
        employments=tuple(employments),
    )


class SqlRegistryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _load(self, conn: AsyncConnection, where: sa.ColumnElement[bool]) -> FrmrPerson | None:
        row = (await conn.execute(frmr_persons.select().where(where))).first()
        if row is None:
            return None
        jobs = await conn.execute(
            frmr_employments.select()
            .where(frmr_employments.c.frmr_id == row._mapping["frmr_id"])
            .order_by(frmr_employments.c.begin_date, frmr_employments.c.id)
        )
        return _person(row, (_employment(job) for job in jobs))

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        with translate_errors("looking up an FRMR person"):
            async with self._engine.connect() as conn:
                return await self._load(conn, frmr_persons.c.snils == snils_digits)

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        with translate_errors("reading an FRMR person"):
            async with self._engine.connect() as conn:
                return await self._load(conn, frmr_persons.c.frmr_id == frmr_id)

    async def upsert(self, person: FrmrPerson) -> None:
        """Insert or replace a person and all their employment records, in one transaction."""
        values = _person_row(person, utcnow())
        insert = upsert_insert(self._engine, frmr_persons).values(**values)
        changed = {k: v for k, v in values.items() if k != "frmr_id"}
        upsert = insert.on_conflict_do_update(index_elements=[frmr_persons.c.frmr_id], set_=changed)
        with translate_errors("saving an FRMR person"):
            async with write_transaction(self._engine) as conn:
                if conn.dialect.name == "postgresql":  # one writer per person: no unique-index race
                    lock = sa.func.pg_advisory_xact_lock(sa.func.hashtext(person.frmr_id))
                    await conn.execute(sa.select(lock))
                await conn.execute(upsert)
                await conn.execute(
                    frmr_employments.delete().where(frmr_employments.c.frmr_id == person.frmr_id)
                )
                if person.employments:
                    await conn.execute(
                        frmr_employments.insert(),
                        [_employment_row(person.frmr_id, job) for job in person.employments],
                    )

    async def upsert_many(self, persons: Sequence[FrmrPerson]) -> list[int]:
        """Insert or replace ``persons`` and their employment records in one transaction.

        Applied in order, as one ``upsert`` after another: a person whose SNILS belongs
        to another ``frmr_id`` at that point is not written, and its position in
        ``persons`` is returned. Should a concurrent writer take a SNILS between the
        check and the write, the batch is retried one person per transaction.
        """
        if not persons:
            return []
        try:
            with translate_errors("saving FRMR persons"):
                async with write_transaction(self._engine) as conn:
                    if conn.dialect.name == "postgresql":
                        await conn.execute(_LOCK_IN_ORDER, {"ids": list({p.frmr_id for p in persons})})
                    refused: list[int] = []
                    for segment in _segments(persons):
                        refused += await self._write_segment(conn, segment)
                    return refused
        except StorageConflict:
            if len(persons) == 1:
                return [0]
            return [i for i, person in enumerate(persons) if await self.upsert_many([person])]

    async def _write_segment(self, conn: AsyncConnection, segment: list[tuple[int, FrmrPerson]]) -> list[int]:
        """Persons with distinct ``frmr_id``s: check who holds each SNILS, then write the rest."""
        held_by: dict[str, str] = {}  # snils -> frmr_id
        holds: dict[str, str] = {}  # frmr_id -> snils
        columns = ((frmr_persons.c.snils, [p.snils for _, p in segment]),
                   (frmr_persons.c.frmr_id, [p.frmr_id for _, p in segment]))
        for column, values in columns:
            for chunk in _chunks(values):
                query = sa.select(frmr_persons.c.frmr_id, frmr_persons.c.snils).where(column.in_(chunk))
                for row in await conn.execute(query):
                    held_by[row.snils], holds[row.frmr_id] = row.frmr_id, row.snils
        refused: list[int] = []
        accepted: list[FrmrPerson] = []
        for index, person in segment:
            if held_by.get(person.snils, person.frmr_id) != person.frmr_id:
                refused.append(index)
                continue
            held_by.pop(holds.get(person.frmr_id, ""), None)
            held_by[person.snils], holds[person.frmr_id] = person.frmr_id, person.snils
            accepted.append(person)
        if accepted:
            now = utcnow()
            insert = upsert_insert(self._engine, frmr_persons)
            changed = {c.name: insert.excluded[c.name] for c in frmr_persons.c if c.name != "frmr_id"}
            upsert = insert.on_conflict_do_update(index_elements=[frmr_persons.c.frmr_id], set_=changed)
            await conn.execute(upsert, [_person_row(p, now) for p in accepted])
            for chunk in _chunks([p.frmr_id for p in accepted]):
                await conn.execute(frmr_employments.delete().where(frmr_employments.c.frmr_id.in_(chunk)))
            jobs = [_employment_row(p.frmr_id, job) for p in accepted for job in p.employments]
            if jobs:
                await conn.execute(frmr_employments.insert(), jobs)
        return refused

    async def count(self) -> int:
        with translate_errors("counting FRMR persons"):
            async with self._engine.connect() as conn:
                return int(
                    (await conn.execute(sa.select(sa.func.count()).select_from(frmr_persons))).scalar_one()
                )


_LOCK_IN_ORDER = sa.text(  # the lock keys of ``upsert``, taken in key order: batches cannot deadlock
    "SELECT count(pg_advisory_xact_lock(key)) FROM"
    " (SELECT DISTINCT hashtext(id) AS key FROM unnest(CAST(:ids AS text[])) AS id ORDER BY key) AS keys"
)
_CHUNK = 500  # bound parameters per IN (...): far below SQLite's limit


def _segments(persons: Sequence[FrmrPerson]) -> Iterable[list[tuple[int, FrmrPerson]]]:
    """Runs of ``persons`` without a repeated ``frmr_id``, with their positions."""
    segment: list[tuple[int, FrmrPerson]] = []
    ids: set[str] = set()
    for index, person in enumerate(persons):
        if person.frmr_id in ids:
            yield segment
            segment, ids = [], set()
        segment.append((index, person))
        ids.add(person.frmr_id)
    yield segment


def _chunks(values: list[str]) -> Iterable[list[str]]:
    return (values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK))


def _person_row(person: FrmrPerson, now: datetime) -> dict[str, Any]:
    return {
        "frmr_id": person.frmr_id,
        "snils": person.snils,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "roles": list(person.roles),
        "updated_at": now,
    }


def _employment_row(frmr_id: str, job: Employment) -> dict[str, Any]:
    return {
        "frmr_id": frmr_id,
        "organization_oid": job.organization_oid,
        "organization_name": job.organization_name,
        "post_id": job.post_id,
        "post_name": job.post_name,
        "position_type": int(job.position_type),
        "rate": Decimal(str(job.rate)),
        "begin_date": job.begin_date,
        "end_date": job.end_date,
    }
