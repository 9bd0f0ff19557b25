"""PostgreSQL: a pooled connection idle for a while is checked at checkout in one round trip, one returned
just now is not; a dead one is replaced either way."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from frmr_sso.storage.sql.engine import create_engine


@pytest.fixture
def postgresql_url(migrated_database_url: str, sql_dialect: str) -> str:
    if sql_dialect != "postgresql":
        pytest.skip("SQLite has no pool to ping: this runs in the PostgreSQL pass")
    return migrated_database_url


async def _statements_of_second_checkout(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch, *, ping_after_idle: float
) -> list[str]:
    engine = create_engine(postgresql_url, pool_size=1, max_overflow=0, ping_after_idle=ping_after_idle)
    sent: list[str] = []
    simple_query = asyncpg.connection.Connection.execute

    async def execute(self: asyncpg.connection.Connection, query: str, *args: object, **kw: object) -> str:
        sent.append(query)
        return await simple_query(self, query, *args, **kw)

    try:
        async with engine.connect() as conn:  # opens the pooled connection
            await conn.execute(sa.text("SELECT 1"))
        monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with reader.connect() as conn:
            assert (await conn.execute(sa.text("SELECT 41 + 1"))).scalar_one() == 42
    finally:
        await engine.dispose()
    return sent


async def test_an_idle_connection_is_pinged_in_one_round_trip(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = await _statements_of_second_checkout(postgresql_url, monkeypatch, ping_after_idle=0)
    assert sent == ["SELECT 1"]  # the ping alone: no BEGIN/ROLLBACK around it


async def test_a_connection_returned_just_now_is_not_pinged(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = await _statements_of_second_checkout(postgresql_url, monkeypatch, ping_after_idle=60)
    assert sent == []


@pytest.mark.parametrize("ping_after_idle", [0, 60])
async def test_a_dead_pooled_connection_is_replaced_at_checkout(
    postgresql_url: str, ping_after_idle: float
) -> None:
    engine = create_engine(postgresql_url, pool_size=1, max_overflow=0, ping_after_idle=ping_after_idle)
    admin = create_engine(postgresql_url, poolclass=NullPool)
    pid = sa.text("SELECT pg_backend_pid()")
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(pid)).scalar_one()
        async with admin.connect() as conn:  # the server ends the idle pooled connection
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        async with engine.connect() as conn:
            assert (await conn.execute(pid)).scalar_one() != first
    finally:
        await engine.dispose()
        await admin.dispose()
