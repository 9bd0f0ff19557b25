"""Whole FRMR records kept in the instance's memory while the registry's generation stands.

The registry API, the cabinet's reads, the length of service and every refresh (the
worker's current roles) read whole records; records change rarely (an import, an
approved change request). ``CachedRegistry`` keeps what it read, tagged with the
registry's **generation**: a random value under ``GENERATION_KEY`` in the key-value
store that every write of the registry through this software replaces once it has
committed (``RegistryGeneration.bump``). An entry is served while the generation is
the one it was read under and it is younger than ``max_age`` seconds.

Reading the generation costs no round trip on a Redis deployment: the key is one
of those the per-instance cache follows with Redis's invalidation messages
(``storage.kv.near_cache``), so a write on one instance is seen by every other as
soon as that message arrives. ``max_age`` bounds the rest: a write straight into
the database by another program, or a bump lost to a store failure. The
generation is read before the record, so a write that commits meanwhile leaves an
entry tagged with a generation that is already gone. ``max_age`` 0 turns the cache
off.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.ports import KeyValueStore

log = logging.getLogger(__name__)

GENERATION_KEY = "registry:generation"
MAX_ENTRIES = 2_000  # records, by FRMR id and by SNILS: a record of every section is a few tens of KB


class RegistryStore(Protocol):
    """The registry's store (``storage.sql.registry.SqlRegistryRepository``)."""

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None: ...

    async def version(self, key: str, value: str) -> tuple[str, int] | None: ...

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None: ...

    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = SECTIONS
    ) -> list[int]: ...

    async def replace_sections(
        self, section: str, groups: Sequence[tuple[str, Sequence[Any]]]
    ) -> list[int]: ...

    async def count(self) -> int: ...


class RegistryGeneration:
    """The registry's generation in the key-value store: replaced after every committed write."""

    def __init__(self, kv: KeyValueStore) -> None:
        self._kv = kv

    async def current(self) -> str:
        found = await self._kv.get(GENERATION_KEY)
        if found is None:
            await self._kv.set_if_absent(GENERATION_KEY, secrets.token_hex(8))
            found = await self._kv.get(GENERATION_KEY)
        return found or ""

    async def bump(self) -> None:
        """Call after a write of the registry has committed. A store failure is logged, not raised: the
        write stands, and every instance's entries end within their ``max_age``."""
        try:
            await self._kv.set(GENERATION_KEY, secrets.token_hex(8))
        except Exception as exc:  # the write has committed: failing it now would tell a lie
            log.warning("registry cache: the generation was not replaced", extra={"error": repr(exc)[:200]})


class CachedRegistry:
    """The registry's reads through this instance's cache; its writes replace the generation."""

    def __init__(
        self,
        store: RegistryStore,
        generation: RegistryGeneration,
        *,
        max_age: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._generation = store, generation
        self._max_age, self._max_entries, self._clock = max_age, max_entries, clock
        self._entries: OrderedDict[tuple[str, str], tuple[str, float, tuple[FrmrPerson, int] | None]]
        self._entries = OrderedDict()

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None:
        """The whole record and its version stamp by ``key`` ``"frmr_id"`` or ``"snils"`` (digits)."""
        if self._max_age <= 0:
            return await self._store.read(key, value)
        generation = await self._generation.current()
        entry = self._entries.get((key, value))
        if entry is not None and entry[0] == generation and entry[1] > self._clock():
            return entry[2]
        found = await self._store.read(key, value)
        kept = (generation, self._clock() + self._max_age, found)
        self._keep((key, value), kept)
        if found is not None:  # the same record under its other key
            self._keep(("snils", found[0].snils) if key == "frmr_id" else ("frmr_id", found[0].frmr_id), kept)
        return found

    def _keep(self, key: tuple[str, str], entry: tuple[str, float, tuple[FrmrPerson, int] | None]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def version(self, key: str, value: str) -> tuple[str, int] | None:
        """(frmr_id, version stamp) by ``key``: the cached record's (a miss reads and keeps the record;
        with the cache off, one indexed probe)."""
        if self._max_age <= 0:
            return await self._store.version(key, value)
        found = await self.read(key, value)
        return None if found is None else (found[0].frmr_id, found[1])

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        """The whole record (every section) of ``frmr_id``."""
        found = await self.read("frmr_id", frmr_id)
        return None if found is None else found[0]

    async def find_record_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        found = await self.read("snils", snils_digits)
        return None if found is None else found[0]

    async def roles_of(self, frmr_id: str) -> tuple[str, ...] | None:
        """The FRMR roles of ``frmr_id`` as the registry holds them now; None when unknown."""
        person = await self.get(frmr_id)
        return None if person is None else tuple(person.roles)

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        """What the login maps (the person, roles and employments), read from the store."""
        return await self._store.find_by_snils(snils_digits)

    async def upsert(self, person: FrmrPerson) -> None:
        if await self.upsert_many([person]):
            raise StorageConflict("saving an FRMR person: the SNILS belongs to another FRMR person")

    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = SECTIONS
    ) -> list[int]:
        try:
            return await self._store.upsert_many(persons, sections=sections)
        finally:  # also after a failure: part of it may have committed before the error
            await self.changed()

    async def replace_sections(self, section: str, groups: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        try:
            return await self._store.replace_sections(section, groups)
        finally:
            await self.changed()

    async def count(self) -> int:
        return await self._store.count()

    async def changed(self) -> None:
        """The registry was written: this instance forgets at once, the others on the generation."""
        self._entries.clear()
        await self._generation.bump()
