from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.sql import SqlClientRepository
from frmr_sso.storage.sql.engine import async_url, create_engine, ping, write_transaction


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///./var/x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///./var/x.db", "sqlite+aiosqlite"),
        ("postgresql://u@db/frmr", "postgresql+asyncpg"),
        ("postgres://u@db/frmr", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@db/frmr", "postgresql+asyncpg"),
    ],
)
def test_async_url_picks_the_async_driver(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        create_engine("mysql+aiomysql://u@db/frmr")


async def test_sqlite_engine_creates_its_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "frmr_sso.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_busy_timeout_ms=1234)
    try:
        assert path.parent.is_dir()
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 1234}


async def test_sqlite_write_transaction_holds_the_write_lock(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}", sqlite_busy_timeout_ms=100)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with write_transaction(engine) as holder:
            await holder.exec_driver_sql("SELECT count(*) FROM t")  # a read, yet the lock is held
            with pytest.raises(OperationalError, match="locked"):
                async with engine.begin() as other:
                    await other.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        await engine.dispose()


async def test_ping_answers_true_for_a_live_database(engine: AsyncEngine) -> None:
    assert await ping(engine) is True


def _unreachable_url(sql_dialect: str, tmp_path: Path) -> str:
    if sql_dialect == "postgresql":
        return "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    return f"sqlite+aiosqlite:///{tmp_path}"  # a directory cannot be opened as a database


async def test_unreachable_database(sql_dialect: str, tmp_path: Path) -> None:
    engine = create_engine(_unreachable_url(sql_dialect, tmp_path))
    try:
        assert await ping(engine) is False
        with pytest.raises(StorageError, match="listing clients failed") as caught:
            await SqlClientRepository(engine).list()
    finally:
        await engine.dispose()
    assert type(caught.value) is StorageError


async def test_ping_gives_up_after_its_timeout(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from frmr_sso.storage.sql import engine as engine_module

    async def stall(*_args: object, **_kwargs: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(engine_module, "PING_TIMEOUT", 0.05)
    monkeypatch.setattr(AsyncConnection, "execute", stall)
    assert await ping(engine) is False
