"""Garbage bearer tokens and anonymous logouts over real HTTP: counted, limited, nothing flooded.

A refused bearer token is audited once per address and reason per interval, the rest as one
record with a count; past ``RATE_LIMIT_BEARER_FAILURES_PER_MINUTE`` refusals from an address
are answered 429 with ``Retry-After`` while valid tokens from it still pass. A logout without a
session stores nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    Provider,
    audit_records,
    basic,
    provider_on_own_database,
)
from tests.support.databases import Databases

LIMIT = 20
GARBAGE = {"Authorization": "Bearer not-a-token-at-all"}


@pytest.fixture(scope="module")
async def broker(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Provider, str]]:
    async with provider_on_own_database(
        databases, redis_url, tmp_path_factory.mktemp("bearer-flood"),
        rate_limit_bearer_failures_per_minute=LIMIT, audit_refusal_interval=1,  # counts written after 1 s
    ) as running:
        yield running


async def test_garbage_bearer_tokens_are_counted_not_written_one_by_one(broker: tuple[Provider, str]) -> None:
    provider, database_url = broker
    source = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
    async with httpx.AsyncClient(base_url=provider.base, timeout=30, transport=source) as http:
        answers = await asyncio.gather(*(http.get("/userinfo", headers=GARBAGE) for _ in range(100)))
        statuses = [a.status_code for a in answers]
        assert statuses.count(401) == LIMIT
        assert statuses.count(429) == 100 - LIMIT
        limited = next(a for a in answers if a.status_code == 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"] == "too_many_requests"
        form = {"grant_type": "client_credentials", "scope": "frmr.registry.read"}
        token = (await http.post("/token", data=form, headers=basic(SERVICE_ID, SERVICE_SECRET))).json()
        valid = {"Authorization": f"Bearer {token['access_token']}"}
        api = await http.get("/api/v1/me", headers=GARBAGE)
        assert api.status_code == 429  # the APIs share the address's budget
        assert api.headers["content-type"] == "application/problem+json"
        assert api.headers["retry-after"]
        found = await http.post("/api/v1/registry/lookup", json={"frmr_id": "FRMR-NOBODY"}, headers=valid)
        assert found.status_code == 404, found.text  # a valid token from the same address is never limited
    await asyncio.sleep(1.5)  # the interval ends: the repeats become one record
    refused = [r for r in await audit_records(database_url)
               if r.event_type == "token.bearer_refused" and r.ip == "127.0.0.3"]
    assert sorted(r.details.get("count", 1) for r in refused) == [1, 99]
    assert {r.details["endpoint"] for r in refused} == {"/userinfo"}


async def test_a_logout_without_a_session_stores_nothing(broker: tuple[Provider, str]) -> None:
    provider, database_url = broker
    before = len(await audit_records(database_url))
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        answers = await asyncio.gather(*(http.get("/logout") for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert len(await audit_records(database_url)) == before
