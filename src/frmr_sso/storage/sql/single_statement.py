"""One statement, one transaction of its own: no ``BEGIN`` and ``COMMIT``/``ROLLBACK`` round trips.

PostgreSQL runs a statement sent outside a transaction block as a transaction of its own (one
snapshot, all or nothing), so a lone read or a lone write needs no explicit transaction around
it: on a connection in ``AUTOCOMMIT`` it is one round trip instead of three. The hot paths of a
login use this for their single statements (the subject's login, the second-factor reads).

On SQLite the engine's ``begin`` hook emits ``BEGIN`` on every connection and the pool rolls
back at release, so a read may use ``reader`` there too (the rollback ends a read), while a
write takes ``one_write``'s ordinary write transaction (in-process, no round trips to save).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.sql.engine import write_transaction


def reader(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` in ``AUTOCOMMIT``: for statements that each stand alone (reads on both databases)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def one_write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for ONE data-modifying statement: in ``AUTOCOMMIT`` on PostgreSQL (the statement
    commits by itself), a write transaction on SQLite."""
    if engine.dialect.name == "postgresql":
        async with reader(engine).connect() as conn:
            yield conn
        return
    async with write_transaction(engine) as conn:
        yield conn
