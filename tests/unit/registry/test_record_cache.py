"""The registry's per-instance record cache: served while the generation stands, dropped by any write."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any

import pytest

from frmr_sso.registry.demo import load_demo_persons
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.record_cache import GENERATION_KEY, CachedRegistry, RegistryGeneration
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.kv.memory import MemoryKV


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Store:
    """The registry's store in memory, counting the reads that reach it."""

    def __init__(self, persons: Sequence[FrmrPerson]) -> None:
        self.persons = {p.frmr_id: (p, 1) for p in persons}
        self.reads = 0
        self.during_read: list[Any] = []  # coroutines awaited inside the next read

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None:
        self.reads += 1
        found = next(
            (entry for entry in self.persons.values() if getattr(entry[0], key) == value), None
        )
        for step in self.during_read:  # a write that commits after the read took its snapshot
            await step
        self.during_read.clear()
        return found

    async def version(self, key: str, value: str) -> tuple[str, int] | None:
        found = await self.read(key, value)
        return None if found is None else (found[0].frmr_id, found[1])

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        found = await self.read("snils", snils_digits)
        return None if found is None else found[0]

    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = SECTIONS
    ) -> list[int]:
        for person in persons:
            self.write(person)
        return []

    def write(self, person: FrmrPerson) -> None:
        version = self.persons.get(person.frmr_id, (person, 0))[1] + 1
        self.persons[person.frmr_id] = (person, version)

    async def replace_sections(self, section: str, groups: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        for frmr_id, items in groups:
            self.write(dataclasses.replace(self.persons[frmr_id][0], **{section: list(items)}))
        return []

    async def count(self) -> int:
        return len(self.persons)


@pytest.fixture
def person() -> FrmrPerson:
    return load_demo_persons()[0]


@pytest.fixture
def store(person: FrmrPerson) -> Store:
    return Store([person])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kv() -> MemoryKV:
    return MemoryKV()


def cached(store: Store, kv: MemoryKV, clock: Clock, max_age: float = 5.0) -> CachedRegistry:
    return CachedRegistry(store, RegistryGeneration(kv), max_age=max_age, clock=clock)


async def test_a_record_read_again_is_served_from_memory(
    store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson
) -> None:
    registry = cached(store, kv, clock)
    first = await registry.read("frmr_id", person.frmr_id)
    assert first == (person, 1)
    assert await registry.get(person.frmr_id) == person
    assert await registry.version("snils", person.snils) == (person.frmr_id, 1)  # the other key too
    assert await registry.roles_of(person.frmr_id) == tuple(person.roles)
    assert store.reads == 1
    assert await registry.read("frmr_id", "FRMR-UNKNOWN") is None
    assert await registry.read("frmr_id", "FRMR-UNKNOWN") is None
    assert store.reads == 2  # absence is kept as well


async def test_a_write_through_any_instance_is_read_at_once_by_every_instance(
    store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson
) -> None:
    one, other = cached(store, kv, clock), cached(store, kv, clock)
    await one.get(person.frmr_id)
    await other.get(person.frmr_id)
    changed = dataclasses.replace(person, email="new@example.test")
    await one.upsert(changed)
    assert await other.get(person.frmr_id) == changed
    assert await one.read("frmr_id", person.frmr_id) == (changed, 2)
    await other.replace_sections("courses", [(person.frmr_id, [])])
    found = await one.get(person.frmr_id)
    assert found is not None
    assert found.courses == []


async def test_a_write_committed_during_a_read_is_not_hidden_by_it(
    store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson
) -> None:
    reader, writer = cached(store, kv, clock), cached(store, kv, clock)
    changed = dataclasses.replace(person, email="new@example.test")
    store.during_read.append(writer.upsert(changed))  # commits after the reader took the generation
    assert await reader.get(person.frmr_id) == person  # the snapshot from before the write
    assert await reader.get(person.frmr_id) == changed


async def test_a_write_behind_its_back_is_seen_after_max_age(
    store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson
) -> None:
    registry = cached(store, kv, clock, max_age=5.0)
    await registry.get(person.frmr_id)
    store.write(dataclasses.replace(person, email="new@example.test"))  # another program, no generation
    clock.now += 4.9
    assert await registry.get(person.frmr_id) == person
    clock.now += 0.2
    found = await registry.get(person.frmr_id)
    assert found is not None
    assert found.email == "new@example.test"


async def test_max_age_zero_reads_the_store_every_time(
    store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson
) -> None:
    registry = cached(store, kv, clock, max_age=0)
    for _ in range(3):
        await registry.get(person.frmr_id)
    assert store.reads == 3
    assert await kv.get(GENERATION_KEY) is None


async def test_entries_are_bounded(store: Store, kv: MemoryKV, clock: Clock, person: FrmrPerson) -> None:
    registry = CachedRegistry(store, RegistryGeneration(kv), max_age=5.0, max_entries=2, clock=clock)
    await registry.get(person.frmr_id)  # two entries: by frmr_id and by SNILS
    await registry.get("FRMR-UNKNOWN")  # pushes the oldest out
    await registry.get(person.frmr_id)
    assert store.reads == 3


async def test_a_lost_generation_write_leaves_the_write_standing(
    store: Store, clock: Clock, person: FrmrPerson, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(MemoryKV):
        async def set(self, key: str, value: str, ttl: float | None = None) -> None:
            raise ConnectionError("the store is down")

    registry = cached(store, Failing(), clock)
    changed = dataclasses.replace(person, email="new@example.test")
    await registry.upsert(changed)
    assert store.persons[person.frmr_id][0] == changed
    assert "generation was not replaced" in caplog.text
