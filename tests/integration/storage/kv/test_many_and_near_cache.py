"""One-round-trip reads and writes on both backends, and the per-instance cache of a Redis deployment.

The cache tests run two ``RedisKV`` instances on one Redis and key prefix, as two broker
instances do: a revocation marker written through one is seen by the other's next read,
though the other had just read (and cached) its absence.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv.near_cache import is_missing
from frmr_sso.storage.kv.redis import RedisKV
from frmr_sso.storage.ports import KeyValueStore
from tests.conftest import REDIS_URL

TRACKED, IMMUTABLE = "deny:", "record:"


async def test_get_many_and_set_many(kv: KeyValueStore) -> None:
    await kv.set_many({"a": "1", "b": "2"}, ttl=60)
    assert await kv.get_many(["a", "missing", "b"]) == ["1", None, "2"]
    assert await kv.get_many(["b"]) == ["2"]
    assert 0 < (await kv.ttl("a") or 0) <= 60


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisKV, RedisKV]]:
    if REDIS_URL is None:
        pytest.skip("the per-instance cache is for Redis (the in-process store has one instance)")
    prefix = f"test:{uuid.uuid4().hex}:"
    stores = [
        RedisKV.from_url(REDIS_URL, prefix=prefix, cached=((TRACKED,), (IMMUTABLE,)), cache_max_age=30)
        for _ in range(2)
    ]
    for store in stores:
        await store.get(TRACKED + "warm-up")  # starts the subscription
    for _ in range(100):
        if all(store._cache is not None and store._cache.live for store in stores):
            break
        await asyncio.sleep(0.02)
    yield stores[0], stores[1]
    for store in stores:
        await store.close()


class _Down:
    """Stands for a Redis client that cannot be reached."""

    def __getattr__(self, name: str) -> object:
        async def fail(*args: object, **kwargs: object) -> None:
            if name != "aclose":  # closing at teardown is fine
                raise RedisConnectionError("unreachable")

        return fail


async def cut_off(store: RedisKV) -> None:
    await store._redis.aclose()
    store._redis = store._batches._redis = _Down()  # type: ignore[assignment]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 1.0) -> float:
    """Seconds until ``check()`` is True (fails after ``within`` seconds)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < within:
        if await check():
            return loop.time() - start
        await asyncio.sleep(0.001)
    raise AssertionError(f"not within {within} s")


async def test_a_write_on_one_instance_reaches_the_cache_of_the_other(pair: tuple[RedisKV, RedisKV]) -> None:
    a, b = pair
    key = TRACKED + "jti-1"
    assert await b.get(key) is None  # b caches the absence
    assert b._cache is not None
    assert b._cache.lookup(b._prefix + key) is None
    await a.set(key, "1", ttl=60)

    async def b_sees_it() -> bool:
        return await b.get(key) == "1"

    assert await eventually(b_sees_it) < 0.5
    await a.delete(key)

    async def b_sees_it_gone() -> bool:
        return await b.get(key) is None

    await eventually(b_sees_it_gone)


async def test_a_local_write_is_seen_at_once(pair: tuple[RedisKV, RedisKV]) -> None:
    a, _ = pair
    key = TRACKED + "jti-2"
    assert await a.get_many([key]) == [None]
    await a.set(key, "1", ttl=60)
    assert await a.get(key) == "1"  # no wait for the invalidation message


async def test_cached_reads_need_no_round_trip(pair: tuple[RedisKV, RedisKV]) -> None:
    a, _ = pair
    await a.set(IMMUTABLE + "r", "claims", ttl=60)
    assert await a.get_many([IMMUTABLE + "r", TRACKED + "x"]) == ["claims", None]
    await cut_off(a)  # a read now would fail; the cache answers instead
    assert await a.get_many([IMMUTABLE + "r", TRACKED + "x"]) == ["claims", None]


async def test_an_immutable_value_written_here_is_kept_as_written(pair: tuple[RedisKV, RedisKV]) -> None:
    a, _ = pair
    await a.set_many({IMMUTABLE + "w": "record", TRACKED + "w": "1"}, ttl=60)
    await cut_off(a)  # only the cache can answer now, and it has the immutable value only
    assert await a.get(IMMUTABLE + "w") == "record"
    with pytest.raises(StorageError):
        await a.get(TRACKED + "w")


async def test_an_absent_immutable_key_is_not_kept(pair: tuple[RedisKV, RedisKV]) -> None:
    a, b = pair
    assert await b.get(IMMUTABLE + "later") is None
    await a.set(IMMUTABLE + "later", "v", ttl=60)
    assert await b.get(IMMUTABLE + "later") == "v"


async def test_a_read_overlapping_an_invalidation_is_not_cached(pair: tuple[RedisKV, RedisKV]) -> None:
    _, b = pair
    cache = b._cache
    assert cache is not None
    full = b._prefix + TRACKED + "racing"
    cache.begin_read([full])
    cache.invalidate([full])  # the write's message came while the read was under way
    cache.end_read(full, None)
    assert is_missing(cache.lookup(full))  # not cached: the next read asks Redis
    cache.begin_read([full])
    cache.end_read(full, None)
    assert cache.lookup(full) is None  # a read with no invalidation meanwhile is kept


async def test_when_the_subscription_drops_the_cache_is_bypassed(pair: tuple[RedisKV, RedisKV]) -> None:
    a, b = pair
    cache = b._cache
    assert cache is not None
    key = TRACKED + "jti-3"
    assert await b.get(key) is None
    cache._down()  # as on a lost connection: emptied, and not served until subscribed again
    await a._redis.set(a._prefix + key, "1")  # written behind every cache's back
    assert await b.get(key) == "1"


async def test_concurrent_writes_share_round_trips_in_order() -> None:
    if REDIS_URL is None:
        pytest.skip("batching is the Redis adapter's")
    kv = RedisKV.from_url(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    sent: list[int] = []
    pipeline = kv._batches._pipeline

    async def counted(writes: list[tuple[str, str, int]]) -> None:
        sent.append(len(writes))
        await pipeline(writes)

    kv._batches._pipeline = counted  # type: ignore[method-assign]
    try:
        await asyncio.gather(*(kv.set_many({f"k{n}": str(n), "last": str(n)}, ttl=60) for n in range(50)))
        assert await kv.get_many([f"k{n}" for n in range(50)]) == [str(n) for n in range(50)]
        assert await kv.get("last") == "49"  # the order of the calls
        assert sum(sent) == 100
        assert len(sent) < 50  # fewer round trips than calls
        await cut_off(kv)
        with pytest.raises(StorageError):
            await kv.set_many({"x": "1"}, ttl=60)
    finally:
        await kv.close()
