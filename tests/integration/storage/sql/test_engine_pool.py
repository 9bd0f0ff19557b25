"""The PostgreSQL pool takes its size from ``FRMR_SSO_DATABASE_POOL_SIZE`` / ``_MAX_OVERFLOW``."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool

from frmr_sso.bootstrap import build_container
from frmr_sso.config import load_settings
from frmr_sso.storage.sql.engine import create_engine


def test_create_engine_sizes_the_postgresql_pool() -> None:
    engine = create_engine("postgresql+asyncpg://frmr@127.0.0.1:1/frmr", pool_size=3, max_overflow=4)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 3
    assert pool._max_overflow == 4  # QueuePool offers no public reader of the bound


async def test_the_container_engine_gets_the_pool_settings(
    migrated_database_url: str, sql_dialect: str
) -> None:
    if sql_dialect != "postgresql":
        pytest.skip("SQLite has no connection pool to size: this runs in the PostgreSQL pass")
    settings = load_settings(
        mode="demo", database_url=migrated_database_url, database_pool_size=2, database_max_overflow=1
    )
    container = await build_container(settings)
    try:
        pool = container.engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (2, 1)
    finally:
        await container.aclose()


async def test_no_more_than_pool_size_plus_overflow_connections(
    migrated_database_url: str, sql_dialect: str
) -> None:
    if sql_dialect != "postgresql":
        pytest.skip("SQLite has no connection pool to size: this runs in the PostgreSQL pass")
    engine = create_engine(migrated_database_url, pool_size=1, max_overflow=1, pool_timeout=0.5)
    try:
        async with AsyncExitStack() as held:
            for _ in range(2):
                await held.enter_async_context(engine.connect())
            with pytest.raises(PoolTimeout):
                async with asyncio.timeout(5), engine.connect():
                    pass
    finally:
        await engine.dispose()
