"""PostgreSQL: a pooled connection is checked at checkout in one round trip; a dead one is replaced."""

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


async def test_a_checkout_pings_in_one_round_trip(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgresql_url, pool_size=1, max_overflow=0)
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
    assert sent == ["SELECT 1"]  # the ping alone: no BEGIN/ROLLBACK around it


async def test_a_dead_pooled_connection_is_replaced_at_checkout(postgresql_url: str) -> None:
    engine = create_engine(postgresql_url, pool_size=1, max_overflow=0)
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
