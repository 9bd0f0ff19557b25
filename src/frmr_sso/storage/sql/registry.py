"""FRMR registry in SQL: persons by SNILS (unique) with every section of their record.

``get`` and ``find_record_by_snils`` return the whole record (``FrmrPerson``
with all sections); ``find_by_snils`` returns what the login needs (the person,
roles and employments) in two queries. Writes replace a person's section rows.
On PostgreSQL every write of a person holds a transaction advisory lock on its
``frmr_id``; a batch takes all of its locks first, in key order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import utcnow
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.registry_bulk import CHUNK, delete_owned, insert_rows
from frmr_sso.storage.sql.registry_read import read_record, read_version
from frmr_sso.storage.sql.registry_rows import SECTION_COLUMNS, SECTION_TABLES, person_row, section_values
from frmr_sso.storage.sql.registry_tables import frmr_persons
from frmr_sso.storage.sql.single_statement import reader

LOGIN_SECTIONS = ("employments",)


class SqlRegistryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = reader(engine)  # a read is one statement, a snapshot of its own

    async def _read(self, key: str, value: str, sections: Iterable[str]) -> tuple[FrmrPerson, int] | None:
        with translate_errors("reading an FRMR person"):
            async with self._reader.connect() as conn:
                return await read_record(conn, key, value, sections)

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        """The person with roles and employments only: what the login maps and releases."""
        found = await self._read("snils", snils_digits, LOGIN_SECTIONS)
        return None if found is None else found[0]

    async def find_record_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        """The whole record (every section) of the person with this SNILS."""
        found = await self._read("snils", snils_digits, SECTIONS)
        return None if found is None else found[0]

    async def roles_of(self, frmr_id: str) -> tuple[str, ...] | None:
        """The FRMR roles of ``frmr_id`` as they are now (no sections read); None when unknown."""
        found = await self._read("frmr_id", frmr_id, ())
        return None if found is None else tuple(found[0].roles)

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        """The whole record (every section) of ``frmr_id``: the registry's stable read for the API."""
        found = await self._read("frmr_id", frmr_id, SECTIONS)
        return None if found is None else found[0]

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None:
        """The whole record and its version stamp, by ``key`` ``"frmr_id"`` or ``"snils"`` (digits)."""
        return await self._read(key, value, SECTIONS)

    async def version(self, key: str, value: str) -> tuple[str, int] | None:
        """(frmr_id, version stamp) of the person by ``key``: changes with every write of the record."""
        with translate_errors("reading an FRMR person"):
            async with self._reader.connect() as conn:
                return await read_version(conn, key, value)

    async def upsert(self, person: FrmrPerson) -> None:
        """Insert or replace a person and every section of their record, in one transaction."""
        if await self.upsert_many([person]):
            raise StorageConflict("saving an FRMR person: the SNILS belongs to another FRMR person")

    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = SECTIONS
    ) -> list[int]:
        """Insert or replace ``persons`` and the rows of their ``sections`` in one transaction.

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
                        refused += await self._write_segment(conn, segment, sections)
                    return refused
        except StorageConflict:
            if len(persons) == 1:
                return [0]
            return [
                i for i, person in enumerate(persons) if await self.upsert_many([person], sections=sections)
            ]

    async def _write_segment(
        self, conn: AsyncConnection, segment: list[tuple[int, FrmrPerson]], sections: Collection[str]
    ) -> list[int]:
        """Persons with distinct ``frmr_id``s: check who holds each SNILS, then write the rest."""
        held_by: dict[str, str] = {}  # snils -> frmr_id
        holds: dict[str, str] = {}  # frmr_id -> snils
        columns = (
            (frmr_persons.c.snils, [p.snils for _, p in segment]),
            (frmr_persons.c.frmr_id, [p.frmr_id for _, p in segment]),
        )
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
            names = [c.name for c in frmr_persons.c if c.name not in ("frmr_id", "version")]
            changed: dict[str, Any] = {name: insert.excluded[name] for name in names}
            changed["version"] = frmr_persons.c.version + 1  # a new stamp: the record may have changed
            upsert = insert.on_conflict_do_update(index_elements=[frmr_persons.c.frmr_id], set_=changed)
            await conn.execute(upsert, [person_row(p, now) for p in accepted])
            ids = [p.frmr_id for p in accepted]
            for section in sections:
                table = SECTION_TABLES[section][0]
                if holds:  # someone of the batch was stored before: their old rows go
                    await delete_owned(conn, table, ids)
                rows = [
                    section_values(section, p.frmr_id, item) for p in accepted for item in getattr(p, section)
                ]
                await insert_rows(conn, table, SECTION_COLUMNS[section], rows)
        return refused

    async def replace_sections(self, section: str, groups: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Replace ``section`` of each ``(frmr_id, items)`` in one transaction; positions of unknown ids."""
        if not groups:
            return []
        table = SECTION_TABLES[section][0]
        ids = list(dict.fromkeys(frmr_id for frmr_id, _ in groups))
        with translate_errors("saving FRMR record sections"):
            async with write_transaction(self._engine) as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(_LOCK_IN_ORDER, {"ids": ids})
                known: set[str] = set()
                for chunk in _chunks(ids):
                    query = sa.select(frmr_persons.c.frmr_id).where(frmr_persons.c.frmr_id.in_(chunk))
                    known.update(row.frmr_id for row in await conn.execute(query))
                stored = [i for i in ids if i in known]
                for chunk in _chunks(stored):
                    await conn.execute(bump_version(chunk))
                await delete_owned(conn, table, stored)
                rows = [
                    section_values(section, frmr_id, item)
                    for frmr_id, items in groups
                    if frmr_id in known
                    for item in items
                ]
                await insert_rows(conn, table, SECTION_COLUMNS[section], rows)
        return [index for index, (frmr_id, _) in enumerate(groups) if frmr_id not in known]

    async def count(self) -> int:
        with translate_errors("counting FRMR persons"):
            async with self._engine.connect() as conn:
                return int(
                    (await conn.execute(sa.select(sa.func.count()).select_from(frmr_persons))).scalar_one()
                )


def bump_version(frmr_ids: list[str]) -> sa.Update:
    """Raise the version stamp of ``frmr_ids``: their record changes in this transaction."""
    return (
        frmr_persons.update()
        .where(frmr_persons.c.frmr_id.in_(frmr_ids))
        .values(version=frmr_persons.c.version + 1)
    )


_LOCK_IN_ORDER = sa.text(  # the lock keys of ``upsert``, taken in key order: batches cannot deadlock
    "SELECT count(pg_advisory_xact_lock(key)) FROM"
    " (SELECT DISTINCT hashtext(id) AS key FROM unnest(CAST(:ids AS text[])) AS id ORDER BY key) AS keys"
)


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
    return (values[i : i + CHUNK] for i in range(0, len(values), CHUNK))
