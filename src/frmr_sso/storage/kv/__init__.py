"""Key-value store adapters: in-process memory (embedded default) and Redis."""

from __future__ import annotations

from frmr_sso.storage.ports import KeyValueStore


def open_kv(redis_url: str | None, *, prefix: str = "frmr_sso:") -> KeyValueStore:
    if redis_url:
        from frmr_sso.storage.kv.redis import RedisKV

        return RedisKV.from_url(redis_url, prefix=prefix)
    from frmr_sso.storage.kv.memory import MemoryKV

    return MemoryKV()
