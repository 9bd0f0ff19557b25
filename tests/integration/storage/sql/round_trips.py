"""What storage code sends to the database: its statements (the pool's ping left out) and the
transaction control (``BEGIN``, ``COMMIT``, ``ROLLBACK``; asyncpg sends those itself, as simple queries)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)  # the first word of each, upper case
    transaction_control: list[str] = field(default_factory=list)  # BEGIN, COMMIT, ROLLBACK as sent


@contextmanager
def sent_to(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    sent = Sent()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.upper().startswith(TRANSACTION_CONTROL):  # SQLite's BEGIN comes this way
            sent.transaction_control.append(statement)
        elif statement.strip() != "SELECT 1":  # the pool's ping
            sent.statements.append(statement.split()[0].upper())

    simple_query = asyncpg.connection.Connection.execute

    async def execute(self: asyncpg.connection.Connection, query: str, *args: object, **kw: object) -> str:
        if query.upper().startswith(TRANSACTION_CONTROL):
            sent.transaction_control.append(query)
        return await simple_query(self, query, *args, **kw)

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
        monkeypatch.setattr(asyncpg.connection.Connection, "execute", simple_query)
