"""``JwksCache.reachable``: what the readiness probe asks, from the cache, without hammering the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.jwks import JwksCache
from frmr_sso.upstream.transport import UpstreamHttp, json_object
from tests.unit.upstream.test_jwks import Clock, Provider


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cache(provider: Provider, clock: Clock) -> AsyncIterator[JwksCache]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(provider.handle)) as http:
        upstream = UpstreamHttp(http, connector="esia")

        async def fetch() -> Mapping[str, Any]:
            body = json_object(await upstream.request("GET", "https://esia.test/jwks"))
            if body is None:
                raise UpstreamProtocolError("bad", reason="bad_jwks")
            return body

        yield JwksCache(fetch, connector="esia", ttl=300, min_refetch_interval=30, clock=clock)


async def test_first_probe_fetches_then_answers_from_the_cache(
    cache: JwksCache, provider: Provider, clock: Clock
) -> None:
    assert await cache.reachable() is True
    assert provider.hits == 1
    clock.now = 299
    assert await cache.reachable() is True
    assert provider.hits == 1, "within the TTL no probe reaches the provider"


async def test_an_outage_is_reported_and_probes_refetch_at_most_once_per_interval(
    cache: JwksCache, provider: Provider, clock: Clock
) -> None:
    assert await cache.reachable() is True
    provider.status = 503
    clock.now = 300  # expired
    assert await cache.reachable() is False
    hits = provider.hits
    for step in range(1, 30):
        clock.now = 300 + step
        assert await cache.reachable() is False, "stale keys still serve logins; the probe says failing"
    assert provider.hits == hits, "no refetch before min_refetch_interval"
    assert [k["kid"] for k in await cache.candidates(kid="k1", alg="RS256")] == ["k1"], "stale keys kept"
    provider.status = 200
    clock.now = 330
    assert await cache.reachable() is True
    assert provider.hits == hits + 1


async def test_unreachable_from_the_start(cache: JwksCache, provider: Provider, clock: Clock) -> None:
    provider.status = 500
    assert await cache.reachable() is False
    clock.now = 10
    assert await cache.reachable() is False
    assert provider.hits == 1
