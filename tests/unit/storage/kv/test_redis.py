from __future__ import annotations

import pytest

from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv.redis import RedisKV
from tests.support.servers import free_port


async def test_an_unreachable_redis_is_a_storage_error_not_a_driver_error() -> None:
    kv = RedisKV.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(StorageError, match="unavailable"):
            await kv.get("anything")
        with pytest.raises(StorageError):
            await kv.incr("counter", 10)
        with pytest.raises(StorageError):
            await kv.take_and_mark("code", "used:1", 10, prefix="used:")
        assert await kv.ping() is False
    finally:
        await kv.close()
