"""Two instances on one Redis: the registry's generation is read from each instance's own cache, and
a write through one instance reaches the other's next read (Redis's invalidation message)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest

from frmr_sso.registry.demo import load_demo_persons
from frmr_sso.registry.record_cache import GENERATION_KEY, CachedRegistry, RegistryGeneration
from frmr_sso.storage.kv.near_cache import is_missing
from frmr_sso.storage.kv.redis import RedisKV
from tests.conftest import REDIS_URL
from tests.integration.storage.kv.test_many_and_near_cache import eventually
from tests.unit.registry.test_record_cache import Store


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisKV, RedisKV]]:
    if REDIS_URL is None:
        pytest.skip("the generation is followed through Redis (the in-process store has one instance)")
    prefix = f"test:{uuid.uuid4().hex}:"
    stores = [
        RedisKV.from_url(REDIS_URL, prefix=prefix, cached=((GENERATION_KEY,), ()), cache_max_age=30)
        for _ in range(2)
    ]
    for store in stores:
        await store.get(GENERATION_KEY)  # starts the subscription
    for _ in range(100):
        if all(store._cache is not None and store._cache.live for store in stores):
            break
        await asyncio.sleep(0.02)
    yield stores[0], stores[1]
    for store in stores:
        await store.close()


async def test_a_write_on_one_instance_reaches_the_other(pair: tuple[RedisKV, RedisKV]) -> None:
    person = load_demo_persons()[0]
    store = Store([person])
    one, other = (CachedRegistry(store, RegistryGeneration(kv), max_age=30) for kv in pair)
    await other.get(person.frmr_id)
    await other.get(person.frmr_id)
    assert store.reads == 1
    cache = pair[1]._cache
    assert cache is not None
    assert not is_missing(cache.lookup(pair[1]._k(GENERATION_KEY)))

    changed = dataclasses.replace(person, email="new@example.test")
    await one.upsert(changed)

    async def seen() -> bool:
        return await other.get(person.frmr_id) == changed

    assert await eventually(seen) < 1.0
