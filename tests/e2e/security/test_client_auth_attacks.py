"""Guessing client secrets at /introspect and /revoke, and what the lockout counters keep.

tests/e2e/web/test_client_lockout.py covers /token (parallel wrong secrets, admin and CLI
unlock); here the other endpoints that authenticate clients, and the counters' state:

attack                                          answer                          state after it
30 parallel wrong secrets at /introspect        401 invalid_client each,        at most LIMIT secrets checked,
  and /revoke                                   token.refused each              one client.locked; the right
                                                                                secret is refused while locked
wrong secrets below the limit, then the right   401 …, then 200                 the count starts again
invalid_grant from an authenticated client      400 invalid_grant, token.refused no lockout counted
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.security.support import (
    EXTRA_CLIENTS,
    OTHER_ID,
    OTHER_SECRET,
    WEB,
    Broker,
    exchange,
    oauth_error,
)
from tests.e2e.web.provider import WEB_ID, basic, running_provider
from tests.support.databases import Databases

LIMIT = 3


@pytest.fixture(scope="module")
async def broker(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Broker]:
    url = await databases.migrated()
    try:
        with running_provider(
            url,
            redis_url,
            tmp_path_factory.mktemp("guessing"),
            extra_clients=EXTRA_CLIENTS,
            lockout_max_failures=LIMIT,
        ) as running:
            yield Broker(running, url)
    finally:
        await databases.drop(url)


async def test_parallel_guesses_at_introspect_and_revoke_check_at_most_the_limit(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    lockout = broker.provider.app.state.container.security.clients
    before = lockout.checks_granted
    guesses = [
        http.post(
            "/introspect" if n % 2 else "/revoke",
            data={"token": "x" * 43},
            headers=basic(OTHER_ID, f"guess-{n:02d}-of-the-secret"),
        )
        for n in range(30)
    ]
    answers = await asyncio.gather(*guesses)
    assert {a.status_code for a in answers} == {401}
    assert {a.json()["error"] for a in answers} == {"invalid_client"}
    assert lockout.checks_granted - before == LIMIT
    audit = await broker.audit()
    ids = {a.headers["x-request-id"] for a in answers}
    refused = [r for r in audit if r.request_id in ids and r.event_type == "token.refused"]
    assert len(refused) == 30
    assert {(r.client_id, r.details["error"]) for r in refused} == {(OTHER_ID, "invalid_client")}
    assert {r.details["endpoint"] for r in refused} == {"/introspect", "/revoke"}
    assert [r.client_id for r in audit if r.event_type == "client.locked"] == [OTHER_ID]
    right = await http.post("/introspect", data={"token": "x" * 43}, headers=basic(OTHER_ID, OTHER_SECRET))
    oauth_error(right, 401, "invalid_client")


async def test_a_right_secret_below_the_limit_starts_the_count_again(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    for _ in range(2):
        for _ in range(LIMIT - 1):
            wrong = await http.post(
                "/introspect", data={"token": "x" * 43}, headers=basic(WEB_ID, "nope-nope")
            )
            oauth_error(wrong, 401, "invalid_client")
        assert (await http.post("/introspect", data={"token": "x" * 43}, headers=WEB)).status_code == 200
    assert not [r for r in await broker.audit() if r.event_type == "client.locked" and r.client_id == WEB_ID]


async def test_invalid_grants_of_an_authenticated_client_do_not_count(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    for n in range(LIMIT + 2):
        answer = await exchange(http, f"no-such-code-{n}-" + "x" * 30)
        oauth_error(answer, 400, "invalid_grant")
    assert (await http.post("/introspect", data={"token": "x" * 43}, headers=WEB)).status_code == 200
    assert not [r for r in await broker.audit() if r.event_type == "client.locked" and r.client_id == WEB_ID]
