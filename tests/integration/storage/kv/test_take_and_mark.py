"""``take_and_mark`` against the configured backend: a one-time value that leaves a mark, in one step."""

from __future__ import annotations

import asyncio

import pytest

from frmr_sso.storage.ports import KeyValueStore

PREFIX = "used:"


async def test_takes_the_value_and_leaves_the_mark(kv: KeyValueStore) -> None:
    await kv.set("code", '{"grant":"значение"}', ttl=30)
    assert await kv.take_and_mark("code", PREFIX + "первый", 300, prefix=PREFIX) == '{"grant":"значение"}'
    assert await kv.get("code") == PREFIX + "первый"
    left = await kv.ttl("code")
    assert left is not None
    assert 299 < left <= 300  # the mark's own lifetime, not the value's


async def test_a_marked_key_is_left_as_it_is(kv: KeyValueStore) -> None:
    await kv.set("code", "grant", ttl=30)
    await kv.take_and_mark("code", PREFIX + "first", 300, prefix=PREFIX)
    assert await kv.take_and_mark("code", PREFIX + "second", 5, prefix=PREFIX) == PREFIX + "first"
    assert await kv.get("code") == PREFIX + "first"
    left = await kv.ttl("code")
    assert left is not None
    assert left > 5


async def test_an_absent_or_expired_key_stays_absent(kv: KeyValueStore) -> None:
    assert await kv.take_and_mark("never", PREFIX + "m", 300, prefix=PREFIX) is None
    assert await kv.get("never") is None
    await kv.set("short", "grant", ttl=0.3)
    await asyncio.sleep(0.8)
    assert await kv.take_and_mark("short", PREFIX + "m", 300, prefix=PREFIX) is None
    assert await kv.get("short") is None


async def test_a_value_that_starts_with_the_prefix_is_a_mark(kv: KeyValueStore) -> None:
    await kv.set("code", PREFIX + "written by set", ttl=30)
    assert await kv.take_and_mark("code", PREFIX + "m", 300, prefix=PREFIX) == PREFIX + "written by set"
    assert await kv.get("code") == PREFIX + "written by set"


async def test_the_prefix_is_compared_whole_even_in_unicode(kv: KeyValueStore) -> None:
    await kv.set("code", "исп", ttl=30)  # a prefix of the mark's prefix, not a mark
    assert await kv.take_and_mark("code", "использован:1", 300, prefix="использован:") == "исп"
    assert await kv.take_and_mark("code", "использован:2", 300, prefix="использован:") == "использован:1"


@pytest.mark.parametrize(("mark", "prefix"), [("m", PREFIX), (PREFIX + "m", "")], ids=["unmarked", "empty"])
async def test_a_mark_without_its_prefix_is_refused(kv: KeyValueStore, mark: str, prefix: str) -> None:
    await kv.set("code", "grant", ttl=30)
    with pytest.raises(ValueError, match="prefix"):
        await kv.take_and_mark("code", mark, 300, prefix=prefix)
    assert await kv.get("code") == "grant"


async def test_fifty_parallel_takes_hand_out_the_value_once(kv: KeyValueStore) -> None:
    await kv.set("code", "grant", ttl=60)
    results = await asyncio.gather(
        *(kv.take_and_mark("code", f"{PREFIX}{i}", 600, prefix=PREFIX) for i in range(50))
    )
    assert results.count("grant") == 1
    winner = PREFIX + str(results.index("grant"))
    assert [r for r in results if r != "grant"] == [winner] * 49  # every loser sees the winner's mark
    assert await kv.get("code") == winner
