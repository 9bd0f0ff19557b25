"""A per-instance cache of a few Redis keys, kept exact by Redis's own invalidation messages.

Two kinds of key are cached:

* **tracked** keys (the revocation markers): Redis tracks their prefixes for this
  instance (``CLIENT TRACKING ON BCAST PREFIX … REDIRECT <id>``, the two-connection
  mode of Redis's client-side caching) and, whenever any client writes, deletes or
  expires one, sends its name on ``__redis__:invalidate`` to this instance's
  subscription, in the same step as the write. The entry (also "absent") is dropped
  when the message arrives. A revocation on one instance is therefore refused on
  every other one as soon as that message is read: the time of one message over the
  network and one turn of the event loop.
* **immutable** keys (written once, never changed: the records of opaque access
  tokens, UserInfo snapshots): kept as read, present values only.

Every entry also has a maximum age (``max_age`` seconds), the bound should an
invalidation ever be lost without the connection failing. While the subscription
is not up (starting, or after an error) the cache is empty and bypassed: every read
goes to Redis, and the subscription is retried. A read that overlaps an
invalidation of its key is not cached (it may carry the value from before).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

INVALIDATE_CHANNEL = "__redis__:invalidate"
_RETRY_SECONDS = 1.0
MISSING = object()


class _Reads:
    """The reads of one key under way, and whether an invalidation came meanwhile."""

    __slots__ = ("count", "spoiled")

    def __init__(self) -> None:
        self.count, self.spoiled = 0, False


class NearCache:
    """Per-instance cache of ``tracked`` and ``immutable`` key prefixes (full Redis key names)."""

    def __init__(
        self,
        *,
        tracked: Sequence[str],
        immutable: Sequence[str] = (),
        max_age: float = 5.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tracked, self._immutable = tuple(tracked), tuple(immutable)
        self._max_age, self._max_entries, self._clock = max_age, max_entries, clock
        self._entries: dict[str, tuple[str | None, float]] = {}
        self._reading: dict[str, _Reads] = {}
        self.live = False  # the subscription is up: entries may be served
        self._task: asyncio.Task[None] | None = None

    def cacheable(self, key: str) -> bool:
        return key.startswith(self._tracked) or key.startswith(self._immutable)

    def lookup(self, key: str) -> object:
        """The cached value (None: known absent), or ``MISSING``."""
        if not self.live:
            return MISSING
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if entry[1] <= self._clock():
            self._entries.pop(key, None)
            return MISSING
        return entry[0]

    def begin_read(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._reading.setdefault(key, _Reads()).count += 1

    def end_read(self, key: str, value: str | None, *, store: bool = True) -> None:
        state = self._reading.get(key)
        if state is None:
            return
        state.count -= 1
        stale = state.spoiled
        if state.count <= 0:
            del self._reading[key]
        if not store or stale or not self.live:
            return
        if value is None and not key.startswith(self._tracked):
            return  # an immutable key not written yet may be written later: absence is not kept
        self._store(key, value)

    def written(self, key: str, value: str) -> None:
        """This instance wrote ``value`` under an immutable prefix: keep it (tracked keys are not kept
        on write: another instance may write them next)."""
        if self.live and key.startswith(self._immutable) and not key.startswith(self._tracked):
            self._store(key, value)

    def _store(self, key: str, value: str | None) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (value, self._clock() + self._max_age)

    def invalidate(self, keys: Iterable[str] | None) -> None:
        """Drop ``keys`` (None: everything), and spoil the reads of them under way."""
        if keys is None:
            self._entries.clear()
            for reads in self._reading.values():
                reads.spoiled = True
            return
        for key in keys:
            self._entries.pop(key, None)
            spoiled = self._reading.get(key)
            if spoiled is not None:
                spoiled.spoiled = True

    def _down(self) -> None:
        self.live = False
        self.invalidate(None)

    def start(self, url: str) -> None:
        """Start following invalidations (idempotent; needs a running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._follow(url))

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._down()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _follow(self, url: str) -> None:
        while True:
            try:
                await self._subscribe_and_listen(url)
            except Exception as exc:  # whatever it was, reads go to Redis until subscribed again
                log.warning("token cache off: no invalidation subscription", extra={"error": repr(exc)[:200]})
            self._down()
            await asyncio.sleep(_RETRY_SECONDS)

    async def _subscribe_and_listen(self, url: str) -> None:
        once = Retry(NoBackoff(), 0)  # a reconnect would change the client id Redis redirects to
        listener = aioredis.Redis.from_url(  # RESP2: invalidations arrive as messages on INVALIDATE_CHANNEL
            url, decode_responses=True, health_check_interval=10, retry=once, protocol=2
        )
        tracker = aioredis.Redis.from_url(
            url, decode_responses=True, single_connection_client=True, retry=once
        )
        pubsub = listener.pubsub()
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]
            connection = pubsub.connection
            assert connection is not None
            await connection.send_command("CLIENT", "ID")
            redirect = await connection.read_response()
            await pubsub.subscribe(INVALIDATE_CHANNEL)
            await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
            prefixes = [part for prefix in self._tracked for part in ("PREFIX", prefix)]
            await tracker.execute_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", redirect, "BCAST", *prefixes
            )
            self.invalidate(None)
            self.live = True
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None:
                    self._message(message)
                elif not await tracker.ping():
                    return
        finally:
            self._down()
            for closing in (pubsub.aclose(), tracker.aclose(), listener.aclose()):
                with contextlib.suppress(RedisError, OSError):
                    await closing

    def _message(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        data = message.get("data")
        if data is None:  # FLUSHALL / FLUSHDB
            self.invalidate(None)
        elif isinstance(data, list):
            self.invalidate(str(key) for key in data)
        else:
            self.invalidate([str(data)])


def is_missing(value: object) -> bool:
    return value is MISSING
