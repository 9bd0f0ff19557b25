"""The token hot path reaches no database: clients, secrets and keys come from in-process caches.

DESIGN "Performance budgets": no database round trip on the token hot path for
client lookup or key load. Every SQL statement the broker runs is recorded
through an engine event while warmed-up requests go through real HTTP. The
batching audit writer's appends (``token.issued`` records, written after the
answer by its own task) are left out: they are not on the request's path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, WEB_ID, WEB_SECRET, Provider, basic, grant


def _audit_writer(conn: Any) -> bool:
    """Statements of the batching audit writer's task (its transaction touches only the audit chain)."""
    task = asyncio.current_task() if _loop_running() else None
    return task is not None and task.get_name() == "audit-writer"


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def statements(provider: Provider) -> Iterator[list[str]]:
    engine = provider.app.state.container.engine.sync_engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not _audit_writer(conn):
            seen.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def test_client_credentials_and_introspection_run_no_sql(
    http: httpx.AsyncClient, statements: list[str]
) -> None:
    service = basic(SERVICE_ID, SERVICE_SECRET)
    form = {"grant_type": "client_credentials"}
    warm = await http.post("/token", data=form, headers=service)  # fills the client and secret caches
    assert warm.status_code == 200
    assert "SELECT" in statements  # the first look-up reaches the database: the recorder works
    statements.clear()
    for _ in range(20):
        response = await http.post("/token", data=form, headers=service)
        assert response.status_code == 200
    token = response.json()["access_token"]
    assert (await http.post("/introspect", data={"token": token}, headers=service)).json()["active"]
    assert statements == []


async def test_code_exchange_and_userinfo_without_offline_access_run_no_sql(
    http: httpx.AsyncClient, provider: Provider, statements: list[str]
) -> None:
    web = basic(WEB_ID, WEB_SECRET)
    await http.post("/token", data={"grant_type": "client_credentials"}, headers=web)  # warm the cache
    code = await provider.mint_code(grant(scope=("openid", "profile")))
    statements.clear()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": grant().redirect_uri}
    tokens = await http.post("/token", data=form, headers=web)
    assert tokens.status_code == 200, tokens.text
    info = await http.get("/userinfo", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"})
    assert info.status_code == 200
    assert statements == []
