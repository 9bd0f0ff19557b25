"""The key-value port: ephemeral values with a time to live, and the clock records default to.

``KeyValueStore`` holds login transactions, codes, sessions and counters. Every
operation is atomic on each implementation: ``set_if_absent``, ``get_and_delete``,
``take_and_mark`` and ``incr`` must stay exact when many requests race on the same key.

``utcnow`` is the timezone-aware UTC clock every port speaks in and that the
durable records of the sibling modules use for their default timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of ``keys`` in order (None where absent), in one round trip."""

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value``; ``ttl`` in seconds, ``None`` keeps it until deleted."""

    async def set_many(self, items: Mapping[str, str], ttl: float) -> None:
        """Store every pair for ``ttl`` seconds, in one round trip (each pair on its own)."""

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store only when the key is absent; True when this call stored it."""

    async def get_and_delete(self, key: str) -> str | None:
        """Read and remove in one step: at most one caller ever sees the value."""

    async def take_and_mark(self, key: str, mark: str, ttl: float, *, prefix: str) -> str | None:
        """Take the value of ``key`` and leave ``mark`` in its place, in one step.

        A one-time value that must leave a trace of its use (an authorization
        code and what it was exchanged for): of any number of concurrent calls
        at most one takes the value, and every later one finds the mark. Every
        mark starts with ``prefix`` (``mark`` must, and ``prefix`` is not empty).
        Returns what the key held: None when absent or expired (nothing is
        created), a value starting with ``prefix`` when already marked (left as
        it is), or else the value taken, now replaced by ``mark`` for ``ttl``
        seconds.
        """

    async def delete(self, key: str) -> bool: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one; a counter created (or found without expiry) gets ``ttl`` seconds to live."""

    async def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is absent or never expires."""

    async def set_add(self, key: str, member: str, ttl: float) -> None:
        """Add ``member`` to the set at ``key``; the set then lives at least ``ttl`` more seconds."""

    async def set_remove(self, key: str, member: str) -> bool:
        """Take ``member`` out of the set; True when it was there. An emptied set is gone."""

    async def set_members(self, key: str) -> frozenset[str]:
        """The members of the set at ``key`` (empty when absent or expired); ``delete`` drops it."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


def utcnow() -> datetime:
    return datetime.now(UTC)
