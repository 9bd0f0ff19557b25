"""PostgreSQL refuses edits of the audit table; only the retention purge may delete."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository


@pytest.fixture
async def audited(engine: AsyncEngine, sql_dialect: str) -> AsyncEngine:
    if sql_dialect != "postgresql":
        pytest.skip("the append-only trigger exists only on PostgreSQL (SQLite has no session settings)")
    repo = SqlAuditRepository(engine)
    for n in range(3):
        await repo.append(AuditRecord(event_type="login.succeeded", outcome="success", details={"n": n}))
    return engine


async def _count(conn: AsyncConnection) -> int:
    return int((await conn.execute(sa.text("SELECT count(*) FROM audit_events"))).scalar_one())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events WHERE id = (SELECT min(id) FROM audit_events)",
        "TRUNCATE audit_events",
    ],
)
async def test_edits_are_refused(audited: AsyncEngine, statement: str) -> None:
    async with audited.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.text(statement))
        await conn.rollback()
        assert await _count(conn) == 3


async def test_purge_setting_allows_delete(audited: AsyncEngine) -> None:
    async with audited.begin() as conn:
        await conn.execute(sa.text("SET LOCAL frmr_sso.audit_purge = 'on'"))
        deleted = await conn.execute(
            sa.text("DELETE FROM audit_events WHERE id = (SELECT min(id) FROM audit_events)")
        )
        assert deleted.rowcount == 1
    async with audited.connect() as conn:
        assert await _count(conn) == 2


async def test_purge_setting_does_not_allow_update(audited: AsyncEngine) -> None:
    async with audited.connect() as conn:
        await conn.execute(sa.text("SET LOCAL frmr_sso.audit_purge = 'on'"))
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.text("UPDATE audit_events SET outcome = 'failure'"))


async def test_purge_setting_ends_with_its_transaction(audited: AsyncEngine) -> None:
    async with audited.connect() as conn:
        async with conn.begin():
            await conn.execute(sa.text("SET LOCAL frmr_sso.audit_purge = 'on'"))
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.text("DELETE FROM audit_events"))
