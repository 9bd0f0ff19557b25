"""Redis key-value store: SET NX/PX, GETDEL, sets, and Lua scripts for what must be one step.

The scripts (increment-with-expiry, add-with-expiry, take-and-mark) run
atomically in Redis: no other command sees the key between their reads and
their writes, whichever instance of the broker sends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv.near_cache import MISSING, NearCache, is_missing

_INCR_WITH_EXPIRY = """
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""
_SADD_WITH_EXPIRY = """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""
_TAKE_AND_MARK = """
local old = redis.call('GET', KEYS[1])
if not old then
  return false
end
if string.sub(old, 1, string.len(ARGV[2])) ~= ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return old
"""


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


def _text(value: bytes | str | None) -> str | None:
    # the client decodes responses; redis-py's stubs still allow bytes
    return value.decode() if isinstance(value, bytes) else value


@contextmanager
def _unavailable(operation: str) -> Iterator[None]:
    """Redis and socket errors become ``StorageError``: callers map it to 503, never 500."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StorageError(f"{operation} a key-value entry failed: the store is unavailable") from exc


_Write = tuple[str, str, int]  # full key, value, milliseconds to live


class _WriteBatches:
    """SETs of concurrent callers in one pipeline: a request's write waits for the batch it joined.

    While a batch is on its way the next one gathers; it is sent when the first is answered, so
    writes reach Redis in the order they were asked for. Under load one round trip serves many
    requests, and the client's per-command work is paid once per batch.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client
        self._waiting: list[tuple[list[_Write], asyncio.Future[None]]] = []
        self._sending = False

    async def write(self, writes: list[_Write]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((writes, done))
        if not self._sending:
            self._sending = True
            asyncio.get_running_loop().create_task(self._send())
        await done

    async def _send(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                failure: BaseException | None = None
                try:
                    await self._pipeline([write for writes, _ in batch for write in writes])
                except (RedisError, OSError) as exc:
                    failure = exc
                for _, done in batch:
                    if not done.done():
                        done.set_exception(failure) if failure is not None else done.set_result(None)
        finally:
            self._sending = False

    async def _pipeline(self, writes: list[_Write]) -> None:
        if len(writes) == 1:
            key, value, px = writes[0]
            await self._redis.set(key, value, px=px)
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value, px in writes:
                pipe.set(key, value, px=px)
            await pipe.execute()


class RedisKV:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "frmr_sso:",
        cache: NearCache | None = None,
        url: str = "",
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._cache, self._url = cache, url
        self._batches = _WriteBatches(client)
        self._incr: Any = client.register_script(_INCR_WITH_EXPIRY)
        self._sadd: Any = client.register_script(_SADD_WITH_EXPIRY)
        self._take_and_mark: Any = client.register_script(_TAKE_AND_MARK)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "frmr_sso:",
        max_connections: int = 100,
        cached: tuple[Sequence[str], Sequence[str]] | None = None,
        cache_max_age: float = 5.0,
    ) -> RedisKV:
        """``cached``: the (tracked, immutable) key prefixes of the per-instance ``NearCache``."""
        # A burst beyond the pool waits for a free connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=5,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        cache = None
        if cached is not None and cache_max_age > 0:
            tracked, immutable = ([prefix + p for p in group] for group in cached)
            cache = NearCache(tracked=tracked, immutable=immutable, max_age=cache_max_age)
        return cls(aioredis.Redis.from_pool(pool), prefix=prefix, cache=cache, url=url)

    @property
    def client(self) -> aioredis.Redis:
        """The redis-py client (tracing instruments it)."""
        return self._redis

    def _k(self, key: str) -> str:
        return self._prefix + key

    def _forget(self, key: str) -> str:
        """The full key, dropped from this instance's cache (a local write is seen at once)."""
        full = self._prefix + key
        if self._cache is not None:
            self._cache.invalidate((full,))
        return full

    async def get(self, key: str) -> str | None:
        return (await self.get_many((key,)))[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of ``keys`` in one round trip (none when this instance's cache has them all)."""
        full = [self._prefix + key for key in keys]
        cache = self._cache
        if cache is None:
            return await self._mget(full)
        cache.start(self._url)
        found = [cache.lookup(key) if cache.cacheable(key) else MISSING for key in full]
        wanted = [i for i, value in enumerate(found) if is_missing(value)]
        out = [value if isinstance(value, str) else None for value in found]
        if not wanted:
            return out
        asked = [full[i] for i in wanted]
        reading = [key for key in asked if cache.cacheable(key)]
        cache.begin_read(reading)
        values: list[str | None] | None = None
        try:
            values = await self._mget(asked)
        finally:
            for key, value in zip(asked, values or [None] * len(asked), strict=True):
                if key in reading:
                    cache.end_read(key, value, store=values is not None)
        for i, value in zip(wanted, values, strict=True):
            out[i] = value
        return out

    async def _mget(self, full: list[str]) -> list[str | None]:
        with _unavailable("reading"):
            if len(full) == 1:
                return [_text(await self._redis.get(full[0]))]
            return [_text(value) for value in await self._redis.mget(full)]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with _unavailable("writing"):
            await self._redis.set(self._forget(key), value, px=None if ttl is None else _ms(ttl))

    async def set_many(self, items: Mapping[str, str], ttl: float) -> None:
        """Every pair, each for ``ttl`` seconds; returns once they are stored. The pairs of calls made
        meanwhile go to Redis together, one pipeline at a time in the order of the calls
        (``_WriteBatches``). A value under an immutable prefix goes into this instance's cache."""
        with _unavailable("writing"):
            await self._batches.write([(self._forget(key), value, _ms(ttl)) for key, value in items.items()])
        if self._cache is not None:
            for key, value in items.items():
                self._cache.written(self._prefix + key, value)

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        with _unavailable("writing"):
            px = None if ttl is None else _ms(ttl)
            stored = await self._redis.set(self._forget(key), value, nx=True, px=px)
        return bool(stored)

    async def get_and_delete(self, key: str) -> str | None:
        with _unavailable("taking"):
            return _text(await self._redis.getdel(self._forget(key)))

    async def take_and_mark(self, key: str, mark: str, ttl: float, *, prefix: str) -> str | None:
        if not prefix or not mark.startswith(prefix):
            raise ValueError("a mark must start with its non-empty prefix")
        with _unavailable("taking"):
            found = await self._take_and_mark(keys=[self._k(key)], args=[mark, prefix, _ms(ttl)])
        return _text(found)

    async def delete(self, key: str) -> bool:
        with _unavailable("deleting"):
            return bool(await self._redis.delete(self._forget(key)))

    async def incr(self, key: str, ttl: float) -> int:
        with _unavailable("counting"):
            return int(await self._incr(keys=[self._k(key)], args=[_ms(ttl)]))

    async def ttl(self, key: str) -> float | None:
        with _unavailable("reading"):
            left = int(await self._redis.pttl(self._k(key)))
        return None if left < 0 else left / 1000

    async def set_add(self, key: str, member: str, ttl: float) -> None:
        with _unavailable("writing"):
            await self._sadd(keys=[self._k(key)], args=[member, _ms(ttl)])

    async def set_remove(self, key: str, member: str) -> bool:
        with _unavailable("writing"):
            return bool(await self._redis.srem(self._k(key), member))

    async def set_members(self, key: str) -> frozenset[str]:
        with _unavailable("reading"):
            members = await self._redis.smembers(self._k(key))
        return frozenset(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._cache is not None:
            await self._cache.stop()
        await self._redis.aclose()
