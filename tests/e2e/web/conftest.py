from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.web.provider import Provider, running_provider
from tests.support.databases import Databases


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    """One broker per test module (its tests leave no state another relies on)."""
    url = await databases.migrated()
    try:
        with running_provider(url, redis_url, tmp_path_factory.mktemp("provider")) as running:
            yield running
    finally:
        await databases.drop(url)


@pytest.fixture
async def http(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        yield client
