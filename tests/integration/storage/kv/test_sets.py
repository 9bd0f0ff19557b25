"""The set operations of the KeyValueStore port (session indexes) against memory and Redis."""

from __future__ import annotations

import asyncio

from frmr_sso.storage.ports import KeyValueStore


async def test_add_list_and_remove_members(kv: KeyValueStore) -> None:
    assert await kv.set_members("s") == frozenset()
    await kv.set_add("s", "a", ttl=30)
    await kv.set_add("s", "b", ttl=30)
    await kv.set_add("s", "a", ttl=30)
    assert await kv.set_members("s") == {"a", "b"}
    assert await kv.set_remove("s", "a") is True
    assert await kv.set_remove("s", "a") is False
    assert await kv.set_remove("absent", "a") is False
    assert await kv.set_members("s") == {"b"}


async def test_removing_the_last_member_drops_the_set(kv: KeyValueStore) -> None:
    await kv.set_add("s", "only", ttl=30)
    assert await kv.set_remove("s", "only") is True
    assert await kv.ttl("s") is None
    await kv.set_add("s", "again", ttl=30)
    assert await kv.set_members("s") == {"again"}


async def test_delete_drops_the_whole_set(kv: KeyValueStore) -> None:
    await kv.set_add("s", "a", ttl=30)
    assert await kv.delete("s") is True
    assert await kv.set_members("s") == frozenset()
    assert await kv.delete("s") is False


async def test_adding_extends_the_life_of_the_set_but_never_shortens_it(kv: KeyValueStore) -> None:
    await kv.set_add("s", "a", ttl=100)
    await kv.set_add("s", "b", ttl=10)
    left = await kv.ttl("s")
    assert left is not None
    assert 90 < left <= 100
    await kv.set_add("s", "c", ttl=500)
    left = await kv.ttl("s")
    assert left is not None
    assert 490 < left <= 500


async def test_a_set_expires(kv: KeyValueStore) -> None:
    await kv.set_add("short", "a", ttl=0.4)
    await kv.set_add("kept", "a", ttl=30)
    await asyncio.sleep(1.1)
    assert await kv.set_members("short") == frozenset()
    assert await kv.set_remove("short", "a") is False
    assert await kv.set_members("kept") == {"a"}
    await kv.set_add("short", "b", ttl=30)
    assert await kv.set_members("short") == {"b"}


async def test_parallel_adds_and_removes_lose_nothing(kv: KeyValueStore) -> None:
    await asyncio.gather(*(kv.set_add("s", f"m{i}", ttl=60) for i in range(100)))
    assert await kv.set_members("s") == {f"m{i}" for i in range(100)}
    removed = await asyncio.gather(*(kv.set_remove("s", f"m{i % 50}") for i in range(100)))
    assert removed.count(True) == 50
    assert await kv.set_members("s") == {f"m{i}" for i in range(50, 100)}


async def test_members_with_unusual_text_round_trip(kv: KeyValueStore) -> None:
    await kv.set_add("ключ", "клиент один", ttl=30)
    assert await kv.set_members("ключ") == {"клиент один"}
