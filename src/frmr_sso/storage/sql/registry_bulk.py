"""Bulk writes of registry rows: ``COPY`` on PostgreSQL (asyncpg), ``executemany`` elsewhere.

Both run inside the caller's transaction: a COPY goes through the same driver
connection, after the statements the transaction has already executed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 500  # bound parameters per IN (...): far below SQLite's limit


async def insert_rows(
    conn: AsyncConnection, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        return
    await conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


async def delete_owned(conn: AsyncConnection, table: sa.Table, frmr_ids: Sequence[str]) -> None:
    """Delete the rows of ``frmr_ids`` from a section table."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            sa.text(f"DELETE FROM {table.name} WHERE frmr_id = ANY(CAST(:ids AS text[]))"),  # noqa: S608
            {"ids": list(frmr_ids)},
        )
        return
    for start in range(0, len(frmr_ids), CHUNK):
        chunk = list(frmr_ids[start : start + CHUNK])
        await conn.execute(table.delete().where(table.c.frmr_id.in_(chunk)))
