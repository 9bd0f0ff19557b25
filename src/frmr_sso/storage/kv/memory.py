"""In-process key-value store with expiry: the embedded default and the test fake.

Each operation runs without an ``await`` between its read and its write, so on
one event loop it is atomic exactly as the Redis commands are.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping, Sequence

_SWEEP_EVERY = 1024


class MemoryKV:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}
        self._sets: dict[str, tuple[builtins.set[str], float]] = {}
        self._writes = 0

    def _live(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires = item[1]
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return item

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _put(self, key: str, value: str, expires: float | None) -> None:
        self._data[key] = (value, expires)
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._sweep()

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]
        for key in [k for k, (_, exp) in self._sets.items() if exp <= now]:
            del self._sets[key]

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        return None if item is None else item[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [None if (item := self._live(key)) is None else item[0] for key in keys]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._put(key, value, self._expiry(ttl))

    async def set_many(self, items: Mapping[str, str], ttl: float) -> None:
        for key, value in items.items():
            self._put(key, value, self._expiry(ttl))

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, self._expiry(ttl))
        return True

    async def get_and_delete(self, key: str) -> str | None:
        item = self._live(key)
        if item is None:
            return None
        del self._data[key]
        return item[0]

    async def take_and_mark(self, key: str, mark: str, ttl: float, *, prefix: str) -> str | None:
        _check_mark(mark, prefix)
        item = self._live(key)
        if item is None:
            return None
        if not item[0].startswith(prefix):
            self._put(key, mark, self._expiry(ttl))
        return item[0]

    async def delete(self, key: str) -> bool:
        had_set = self._live_set(key) is not None and self._sets.pop(key, None) is not None
        return (self._live(key) is not None and self._data.pop(key, None) is not None) or had_set

    async def incr(self, key: str, ttl: float) -> int:
        item = self._live(key)
        if item is None:
            count, expires = 1, self._expiry(ttl)
        else:
            count = int(item[0]) + 1
            expires = item[1] if item[1] is not None else self._expiry(ttl)
        self._put(key, str(count), expires)
        return count

    async def ttl(self, key: str) -> float | None:
        if self._live_set(key) is not None:
            return max(0.0, self._sets[key][1] - self._clock())
        item = self._live(key)
        if item is None or item[1] is None:
            return None
        return max(0.0, item[1] - self._clock())

    def _live_set(self, key: str) -> builtins.set[str] | None:
        item = self._sets.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._sets[key]
            return None
        return item[0]

    async def set_add(self, key: str, member: str, ttl: float) -> None:
        members = self._live_set(key)
        expires = self._clock() + ttl
        if members is None:
            self._sets[key] = ({member}, expires)
        else:
            members.add(member)
            self._sets[key] = (members, max(expires, self._sets[key][1]))
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._sweep()

    async def set_remove(self, key: str, member: str) -> bool:
        members = self._live_set(key)
        if members is None or member not in members:
            return False
        members.discard(member)
        if not members:
            del self._sets[key]
        return True

    async def set_members(self, key: str) -> frozenset[str]:
        return frozenset(self._live_set(key) or ())

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()
        self._sets.clear()


def _check_mark(mark: str, prefix: str) -> None:
    """A mark without the prefix could be taken again: refused, as the Redis adapter does."""
    if not prefix or not mark.startswith(prefix):
        raise ValueError("a mark must start with its non-empty prefix")
