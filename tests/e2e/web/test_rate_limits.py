"""Per-IP rate limits over real HTTP: 429 with Retry-After, JSON on /token, a Russian page on /authorize."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, Provider, basic, running_provider
from tests.support.databases import Databases

LIMIT = 5
CC = {"grant_type": "client_credentials", "scope": "frmr"}


@pytest.fixture(scope="module")
async def limited(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    url = await databases.migrated()
    try:
        with running_provider(
            url, redis_url, tmp_path_factory.mktemp("limited"),
            rate_limit_token_per_minute=LIMIT, rate_limit_authorize_per_minute=LIMIT,
        ) as running:
            yield running
    finally:
        await databases.drop(url)


async def until_limited(send: Callable[[], Awaitable[httpx.Response]]) -> tuple[int, httpx.Response]:
    """Requests answered before the first 429, and that 429; redone if a minute boundary interferes."""
    for _ in range(3):
        window = int(time.time() // 60)
        answered = 0
        for _ in range(3 * LIMIT):
            response = await send()
            if response.status_code == 429:
                break
            answered += 1
        if int(time.time() // 60) == window:
            return answered, response
    raise AssertionError("no stable one-minute window")


async def test_token_answers_429_json_with_retry_after(limited: Provider) -> None:
    async with httpx.AsyncClient(base_url=limited.base, timeout=30) as http:
        answered, refused = await until_limited(
            lambda: http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))
        )
        assert answered <= LIMIT
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["Cache-Control"] == "no-store"
        # a spoofed X-Forwarded-For does not buy a new budget (no trusted proxy configured)
        spoofed = await http.post("/introspect", data={"token": "x"}, headers={
            **basic(SERVICE_ID, SERVICE_SECRET), "X-Forwarded-For": "198.51.100.99"})
        assert spoofed.status_code == 429
        assert (await http.get("/jwks")).status_code == 200  # other endpoints are not limited
        metrics = (await http.get("/metrics")).text
        assert 'frmr_sso_rate_limit_rejections_total{group="token"}' in metrics


async def test_authorize_answers_a_russian_page(limited: Provider) -> None:
    async with httpx.AsyncClient(base_url=limited.base, timeout=30) as http:
        answered, refused = await until_limited(lambda: http.get("/authorize", params={"client_id": "x"}))
        assert answered <= LIMIT
        assert refused.headers["content-type"].startswith("text/html")
        assert "Слишком много запросов" in refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
