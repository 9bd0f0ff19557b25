from __future__ import annotations

import pytest

from frmr_sso.storage.kv.memory import MemoryKV


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kv(clock: FakeClock) -> MemoryKV:
    return MemoryKV(clock=clock)


async def test_value_lives_until_its_ttl(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("k", "v", ttl=10)
    clock.advance(9.9)
    assert await kv.get("k") == "v"
    assert await kv.ttl("k") == pytest.approx(0.1)
    clock.advance(0.1)
    assert await kv.get("k") is None
    assert await kv.ttl("k") is None


async def test_value_without_ttl_never_expires(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("k", "v")
    clock.advance(10**9)
    assert await kv.get("k") == "v"
    assert await kv.ttl("k") is None


async def test_set_replaces_value_and_expiry(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("k", "old", ttl=5)
    await kv.set("k", "new")
    clock.advance(60)
    assert await kv.get("k") == "new"


async def test_set_if_absent_stores_once_then_again_after_expiry(kv: MemoryKV, clock: FakeClock) -> None:
    assert await kv.set_if_absent("k", "first", ttl=5) is True
    assert await kv.set_if_absent("k", "second", ttl=5) is False
    assert await kv.get("k") == "first"
    clock.advance(5)
    assert await kv.set_if_absent("k", "third", ttl=5) is True
    assert await kv.get("k") == "third"


async def test_get_and_delete_returns_the_value_once(kv: MemoryKV) -> None:
    await kv.set("code", "payload", ttl=60)
    assert await kv.get_and_delete("code") == "payload"
    assert await kv.get_and_delete("code") is None
    assert await kv.get("code") is None


async def test_get_and_delete_ignores_expired_value(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("code", "payload", ttl=1)
    clock.advance(1)
    assert await kv.get_and_delete("code") is None


async def test_delete_reports_whether_a_live_key_was_removed(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("a", "1")
    await kv.set("b", "1", ttl=1)
    clock.advance(2)
    assert await kv.delete("a") is True
    assert await kv.delete("a") is False
    assert await kv.delete("b") is False


async def test_incr_counts_within_the_first_window(kv: MemoryKV, clock: FakeClock) -> None:
    assert [await kv.incr("n", ttl=60) for _ in range(3)] == [1, 2, 3]
    clock.advance(30)
    assert await kv.incr("n", ttl=60) == 4
    assert await kv.ttl("n") == pytest.approx(30)  # later increments do not extend the window


async def test_incr_restarts_after_expiry(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.incr("n", ttl=10)
    await kv.incr("n", ttl=10)
    clock.advance(10)
    assert await kv.incr("n", ttl=10) == 1
    assert await kv.ttl("n") == pytest.approx(10)


async def test_incr_gives_ttl_to_a_counter_without_expiry(kv: MemoryKV, clock: FakeClock) -> None:
    await kv.set("n", "5")
    assert await kv.incr("n", ttl=20) == 6
    assert await kv.ttl("n") == pytest.approx(20)
    clock.advance(20)
    assert await kv.get("n") is None


async def test_expired_keys_are_swept_from_memory(kv: MemoryKV, clock: FakeClock) -> None:
    for i in range(100):
        await kv.set(f"old{i}", "v", ttl=1)
    clock.advance(2)
    for i in range(1024):
        await kv.set(f"new{i % 10}", "v")
    assert len(kv._data) == 10


async def test_ping_and_close(kv: MemoryKV) -> None:
    await kv.set("k", "v")
    assert await kv.ping() is True
    await kv.close()
    assert await kv.get("k") is None
