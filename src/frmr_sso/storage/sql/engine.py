"""Async engine factory for the two supported databases.

SQLite (the embedded default) gets write-ahead logging so readers never wait
for the writer, enforced foreign keys and a busy timeout, and SQLAlchemy emits
``BEGIN`` itself: the sqlite3 driver's legacy mode would run SELECTs outside the
transaction and leave ``BEGIN IMMEDIATE`` impossible. PostgreSQL gets a bounded,
pool pinged at checkout (``ping_on_checkout``: one round trip, after 2 s idle) and sessions in UTC:
``pool_size`` connections kept open and up to
``max_overflow`` more under load (``FRMR_SSO_DATABASE_POOL_SIZE``/``_MAX_OVERFLOW``, per
process: an instance never holds more than their sum, so the database's ``max_connections``
must cover that times the number of instances, plus the administrative commands).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_BEGIN_MODE = "frmr_sso_sqlite_begin"
PING_TIMEOUT = 5.0
PING_AFTER_IDLE = 2.0  # seconds a returned connection is handed out again without a ping
_LAST_CHECKIN = "frmr_sso_last_checkin"


def async_url(database_url: str | URL) -> URL:
    """The URL with its async driver: ``postgresql://`` means asyncpg, ``sqlite://`` aiosqlite."""
    url = make_url(database_url)
    return url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for memory and URI databases."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def create_engine(
    database_url: str | URL,
    *,
    echo: bool = False,
    pool_size: int = 10,
    max_overflow: int = 10,
    sqlite_busy_timeout_ms: int = 10_000,
    ping_after_idle: float = PING_AFTER_IDLE,
    **engine_kwargs: Any,
) -> AsyncEngine:
    """An engine for ``database_url``; the caller owns it and ends with ``await engine.dispose()``."""
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, **engine_kwargs)
        _configure_sqlite(engine, busy_timeout_ms=sqlite_busy_timeout_ms, wal=path is not None)
        return engine
    if url.get_backend_name() == "postgresql":
        options: dict[str, Any] = {
            "pool_pre_ping": False,  # ping_on_checkout does it in one round trip instead of three
            "connect_args": {
                "timeout": 10,
                "server_settings": {"timezone": "UTC", "application_name": "frmr-sso"},
            },
        }
        if "poolclass" not in engine_kwargs:
            options.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=10, pool_recycle=1800)
        options.update(engine_kwargs)
        engine = create_async_engine(url, echo=echo, **options)
        if not options["pool_pre_ping"]:
            ping_on_checkout(engine, after_idle=ping_after_idle)
        return engine
    raise ValueError(
        f"unsupported database {url.get_backend_name()!r}: use sqlite+aiosqlite or postgresql+asyncpg"
    )


def ping_on_checkout(engine: AsyncEngine, *, after_idle: float = PING_AFTER_IDLE) -> None:
    """Check a pooled PostgreSQL connection as it is checked out, in one round trip, when it has been idle.

    SQLAlchemy's own pre-ping on asyncpg wraps its query in ``BEGIN`` … ``ROLLBACK`` (for pgbouncer's
    transaction mode, where a prepared statement may not survive), three round trips on every
    checkout. A simple-protocol ``SELECT 1`` prepares nothing and needs no transaction. A connection
    that does not answer raises ``DisconnectionError``: the pool drops it and checks out another
    (SQLAlchemy's documented pessimistic disconnect handling), as its pre-ping would.

    A connection returned to the pool less than ``after_idle`` seconds ago and whose socket is still
    open (the driver has seen no end of it: a backend the server ended is closed by then) is handed
    out without the round trip: under load every checkout would otherwise pay one.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_CHECKIN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the pooled connection is closed")
        returned = record.info.get(_LAST_CHECKIN)
        if returned is not None and time.monotonic() - returned < after_idle:
            return
        try:
            dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1"))
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see _on_begin
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction holding the write lock from its first statement.

    On SQLite it starts with ``BEGIN IMMEDIATE``: a read-then-write sequence can
    neither interleave with another writer nor fail half way with SQLITE_BUSY.
    PostgreSQL needs row or advisory locks instead, taken by the caller.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
        async with conn.begin():
            yield conn


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers ``SELECT 1`` within PING_TIMEOUT seconds."""
    try:
        async with asyncio.timeout(PING_TIMEOUT), engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception:  # a health probe reports any failure as "not ready"
        return False
    return True


def upsert_insert(engine: AsyncEngine, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the engine's dialect, which offers ``ON CONFLICT`` on both databases."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
