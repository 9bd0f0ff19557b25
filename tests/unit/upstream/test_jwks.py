"""JWKS cache: lazy fetch, TTL, single flight, rate-limited refetch on an unknown kid, stale on failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from frmr_sso.upstream.errors import UpstreamProtocolError, UpstreamUnavailable
from frmr_sso.upstream.jwks import JwksCache
from frmr_sso.upstream.transport import UpstreamHttp, json_object


def rsa_jwk(kid: str, alg: str | None = "RS256", **extra: str) -> dict[str, Any]:
    jwk = {"kty": "RSA", "kid": kid, "n": "AQAB" * 8, "e": "AQAB", **extra}
    return jwk | ({"alg": alg} if alg else {})


class Provider:
    """A JWKS endpoint behind httpx.MockTransport: counts hits, can be held or broken."""

    def __init__(self) -> None:
        self.keys: list[Any] = [rsa_jwk("k1")]
        self.hits = 0
        self.gate: asyncio.Event | None = None
        self.status = 200

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.hits += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.status != 200:
            return httpx.Response(self.status)
        return httpx.Response(200, json={"keys": self.keys})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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
            response = await upstream.request("GET", "https://esia.test/jwks")
            body = json_object(response)
            if body is None:
                raise UpstreamProtocolError("bad", reason="bad_jwks")
            return body

        yield JwksCache(fetch, connector="esia", ttl=300, min_refetch_interval=30, clock=clock)


async def kids(cache: JwksCache, kid: str | None, alg: str = "RS256") -> list[str]:
    return [key["kid"] for key in await cache.candidates(kid=kid, alg=alg)]


async def test_fetches_lazily_and_caches(cache: JwksCache, provider: Provider, clock: Clock) -> None:
    assert provider.hits == 0
    assert await kids(cache, "k1") == ["k1"]
    clock.now = 299
    assert await kids(cache, "k1") == ["k1"]
    assert provider.hits == 1
    clock.now = 300
    assert await kids(cache, "k1") == ["k1"]
    assert provider.hits == 2


async def test_concurrent_callers_share_one_fetch(cache: JwksCache, provider: Provider) -> None:
    provider.gate = asyncio.Event()
    waiting = [asyncio.create_task(kids(cache, "k1")) for _ in range(20)]
    await asyncio.sleep(0.01)
    provider.gate.set()
    assert await asyncio.gather(*waiting) == [["k1"]] * 20
    assert provider.hits == 1


async def test_unknown_kid_refetches_once_then_waits(
    cache: JwksCache, provider: Provider, clock: Clock
) -> None:
    await kids(cache, "k1")
    clock.now = 30
    provider.keys = [rsa_jwk("k2"), rsa_jwk("k1")]
    assert await kids(cache, "k2") == ["k2"]
    assert provider.hits == 2
    clock.now = 40
    assert await kids(cache, "invented") == []
    assert await kids(cache, "invented-again") == []
    assert provider.hits == 2  # within the interval: no refetch
    clock.now = 60
    assert await kids(cache, "invented") == []
    assert provider.hits == 3


async def test_concurrent_unknown_kids_share_one_refetch(
    cache: JwksCache, provider: Provider, clock: Clock
) -> None:
    await kids(cache, "k1")
    clock.now = 100
    provider.keys = [rsa_jwk("k2")]
    provider.gate = asyncio.Event()
    waiting = [asyncio.create_task(kids(cache, "k2")) for _ in range(10)]
    await asyncio.sleep(0.01)
    provider.gate.set()
    assert await asyncio.gather(*waiting) == [["k2"]] * 10
    assert provider.hits == 2


async def test_keys_are_filtered_by_alg_use_and_type(cache: JwksCache, provider: Provider) -> None:
    provider.keys = [
        rsa_jwk("rs"),
        rsa_jwk("enc", use="enc"),
        rsa_jwk("ps", alg="PS256"),
        rsa_jwk("any", alg=None),
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
        {"kty": "GOST3410", "kid": "gost", "alg": "GOST3410_2012_256", "crv": "c", "x": "x", "y": "y"},
        "junk",
        {"kid": "no-kty"},
    ]
    assert await kids(cache, None) == ["rs", "any"]
    assert await kids(cache, None, "ES256") == ["ec"]
    assert await kids(cache, None, "GOST3410_2012_256") == ["gost"]
    assert await kids(cache, "ps", "PS256") == ["ps"]
    assert await kids(cache, "rs", "PS256") == []


async def test_stale_keys_survive_an_outage(cache: JwksCache, provider: Provider, clock: Clock) -> None:
    await kids(cache, "k1")
    provider.status = 503
    clock.now = 400
    assert await kids(cache, "k1") == ["k1"]
    assert provider.hits == 2
    assert await kids(cache, "k1") == ["k1"]
    assert provider.hits == 2  # the failed refresh is retried after the refetch interval, not per call
    clock.now = 430
    await kids(cache, "k1")
    assert provider.hits == 3


async def test_first_fetch_failure_reaches_every_waiter(cache: JwksCache, provider: Provider) -> None:
    provider.status = 503
    provider.gate = asyncio.Event()
    waiting = [asyncio.create_task(kids(cache, "k1")) for _ in range(5)]
    await asyncio.sleep(0.01)
    provider.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, UpstreamUnavailable) for result in results)
    assert provider.hits == 1


async def test_a_document_without_keys_is_a_protocol_error(provider: Provider, clock: Clock) -> None:
    async def fetch() -> Mapping[str, Any]:
        return {"keys": "nope"}

    with pytest.raises(UpstreamProtocolError) as caught:
        await JwksCache(fetch, connector="esia", clock=clock).candidates(kid="k1", alg="RS256")
    assert caught.value.reason == "bad_jwks"


async def test_kidless_token_without_a_fitting_key_refetches(
    cache: JwksCache, provider: Provider, clock: Clock
) -> None:
    await kids(cache, None)
    clock.now = 30
    provider.keys = [{"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"}]
    assert await kids(cache, None, "ES256") == ["ec"]
    assert provider.hits == 2
