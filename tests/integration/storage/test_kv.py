"""The KeyValueStore port against the configured backend (memory or Redis)."""

from __future__ import annotations

import asyncio

import pytest

from frmr_sso.storage.ports import KeyValueStore


async def test_set_get_delete(kv: KeyValueStore) -> None:
    assert await kv.get("k") is None
    await kv.set("k", "значение")
    assert await kv.get("k") == "значение"
    assert await kv.delete("k") is True
    assert await kv.delete("k") is False
    assert await kv.get("k") is None


async def test_ttl_reports_seconds_left(kv: KeyValueStore) -> None:
    await kv.set("short", "v", ttl=30)
    await kv.set("forever", "v")
    left = await kv.ttl("short")
    assert left is not None
    assert 29 < left <= 30
    assert await kv.ttl("forever") is None
    assert await kv.ttl("absent") is None


async def test_set_without_ttl_clears_the_previous_expiry(kv: KeyValueStore) -> None:
    await kv.set("k", "old", ttl=30)
    await kv.set("k", "new")
    assert await kv.get("k") == "new"
    assert await kv.ttl("k") is None


async def test_set_if_absent(kv: KeyValueStore) -> None:
    assert await kv.set_if_absent("k", "first", ttl=30) is True
    assert await kv.set_if_absent("k", "second", ttl=30) is False
    assert await kv.get("k") == "first"


async def test_get_and_delete(kv: KeyValueStore) -> None:
    await kv.set("code", "payload", ttl=30)
    assert await kv.get_and_delete("code") == "payload"
    assert await kv.get_and_delete("code") is None
    assert await kv.get_and_delete("never") is None


async def test_incr_keeps_the_first_window(kv: KeyValueStore) -> None:
    assert [await kv.incr("n", ttl=100) for _ in range(3)] == [1, 2, 3]
    await kv.incr("n", ttl=1000)
    left = await kv.ttl("n")
    assert left is not None
    assert left <= 100


async def test_incr_gives_ttl_to_a_counter_without_expiry(kv: KeyValueStore) -> None:
    await kv.set("n", "7")
    assert await kv.incr("n", ttl=50) == 8
    left = await kv.ttl("n")
    assert left is not None
    assert 0 < left <= 50


async def test_keys_expire(kv: KeyValueStore) -> None:
    await kv.set("plain", "v", ttl=0.4)
    await kv.set_if_absent("marker", "v", ttl=0.4)
    await kv.incr("counter", ttl=0.4)
    await kv.set("kept", "v", ttl=30)
    await asyncio.sleep(1.1)
    assert await kv.get("plain") is None
    assert await kv.get_and_delete("plain") is None
    assert await kv.set_if_absent("marker", "again", ttl=30) is True
    assert await kv.incr("counter", ttl=30) == 1
    assert await kv.get("kept") == "v"


async def test_parallel_increments_are_exact(kv: KeyValueStore) -> None:
    results = await asyncio.gather(*(kv.incr("hits", ttl=60) for _ in range(200)))
    assert sorted(results) == list(range(1, 201))
    assert await kv.get("hits") == "200"


async def test_parallel_set_if_absent_has_one_winner(kv: KeyValueStore) -> None:
    results = await asyncio.gather(*(kv.set_if_absent("once", str(i), ttl=60) for i in range(50)))
    assert results.count(True) == 1
    assert await kv.get("once") == str(results.index(True))


async def test_parallel_get_and_delete_hands_out_the_value_once(kv: KeyValueStore) -> None:
    await kv.set("code", "secret", ttl=60)
    results = await asyncio.gather(*(kv.get_and_delete("code") for _ in range(50)))
    assert [r for r in results if r is not None] == ["secret"]


async def test_ping(kv: KeyValueStore) -> None:
    assert await kv.ping() is True


@pytest.mark.parametrize("key", ["a:b", "ключ", "with space"])
async def test_unusual_keys_round_trip(kv: KeyValueStore, key: str) -> None:
    await kv.set(key, "v", ttl=30)
    assert await kv.get(key) == "v"
