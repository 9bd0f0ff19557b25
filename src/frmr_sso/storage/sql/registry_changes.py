"""Writes inside a caller's transaction: an FRMR record change and its audit record.

An approved change request changes the person's record, its own status and the
audit log in ONE transaction (``change_requests.py``); these helpers run on that
transaction's connection. The record is read and written with the registry's
own row mapping (``registry_rows.py``, ``registry_bulk.py``), so the tables stay
exactly as ``SqlRegistryRepository`` writes them; the audit record is chained
under the audit lock exactly as ``SqlAuditRepository.append`` does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.ports import AuditRecord, utcnow
from frmr_sso.storage.sql.audit import append_locked, lock_chain
from frmr_sso.storage.sql.registry_bulk import delete_owned, insert_rows
from frmr_sso.storage.sql.registry_read import read_record
from frmr_sso.storage.sql.registry_rows import (
    SECTION_COLUMNS,
    SECTION_TABLES,
    person_row,
    section_values,
)
from frmr_sso.storage.sql.registry_tables import frmr_persons


async def lock_person(conn: AsyncConnection, frmr_id: str) -> None:
    """PostgreSQL: the registry's per-person advisory lock (SQLite: the write transaction is the lock)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(frmr_id))))


async def load_person(conn: AsyncConnection, frmr_id: str) -> FrmrPerson | None:
    found = await read_record(conn, "frmr_id", frmr_id, SECTIONS)
    return None if found is None else found[0]


async def write_person(conn: AsyncConnection, person: FrmrPerson, sections: Collection[str]) -> None:
    """Replace the person's own fields and the rows of ``sections``."""
    values: dict[str, Any] = {
        k: v for k, v in person_row(person, utcnow()).items() if k not in ("frmr_id", "snils")
    }
    values["version"] = frmr_persons.c.version + 1
    await conn.execute(frmr_persons.update().where(frmr_persons.c.frmr_id == person.frmr_id).values(**values))
    for section in sections:
        table = SECTION_TABLES[section][0]
        await delete_owned(conn, table, [person.frmr_id])
        rows = [section_values(section, person.frmr_id, item) for item in getattr(person, section)]
        await insert_rows(conn, table, SECTION_COLUMNS[section], rows)


async def append_audit(conn: AsyncConnection, record: AuditRecord) -> AuditRecord:
    """Chain and insert ``record`` on the caller's transaction, under the audit chain lock."""
    await lock_chain(conn)
    return await append_locked(conn, record)
