"""Key-value store adapters: in-process memory (embedded default) and Redis."""

from __future__ import annotations

from collections.abc import Sequence

from frmr_sso.storage.ports import KeyValueStore


def open_kv(
    redis_url: str | None,
    *,
    prefix: str = "frmr_sso:",
    cached: tuple[Sequence[str], Sequence[str]] | None = None,
    cache_max_age: float = 5.0,
) -> KeyValueStore:
    """``cached``: (tracked, immutable) key prefixes an instance keeps in its own cache (Redis only:
    the in-process store is one instance's already)."""
    if redis_url:
        from frmr_sso.storage.kv.redis import RedisKV

        return RedisKV.from_url(redis_url, prefix=prefix, cached=cached, cache_max_age=cache_max_age)
    from frmr_sso.storage.kv.memory import MemoryKV

    return MemoryKV()
