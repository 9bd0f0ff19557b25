"""Per-person limits that a burst of parallel requests cannot beat.

``PersonLimits.guard(kind, person)`` first takes one atomic ``incr`` of the person's
hourly budget for ``kind`` (``RateLimiter``; over it: ``RateLimited`` with the seconds to
wait), then holds the person's mutex for ``kind`` — a KV key taken with
``set_if_absent``, shared by every instance through Redis — while the caller counts and
writes. A check such as "at most three statements pending" and the row that it admits are
then one step for every request of that person, on SQLite and PostgreSQL alike; a request
that cannot get the mutex within ``wait`` seconds is ``RateLimited`` too (briefly).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from frmr_sso.errors import FrmrSsoError
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.storage.ports import KeyValueStore

HOLD_SECONDS = 30.0  # a holder that died frees the person after this long
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.01


class RateLimited(FrmrSsoError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PersonLimits:
    def __init__(
        self, kv: KeyValueStore, rates: Mapping[str, RateLimiter], *, namespace: str,
        wait: float = WAIT_SECONDS,
    ) -> None:
        self._kv, self._rates, self._namespace, self.wait = kv, rates, namespace, wait

    async def charge(self, kind: str, person: str) -> None:
        """One more ``kind`` for ``person`` this hour; ``RateLimited`` past the budget."""
        rate = self._rates.get(kind)
        if rate is not None:
            decision = await rate.hit(person)
            if not decision.allowed:
                message = f"too many {kind.replace('_', ' ')} of this person; retry later"
                raise RateLimited(message, decision.retry_after)

    @asynccontextmanager
    async def guard(self, kind: str, person: str) -> AsyncIterator[None]:
        """``charge``, then the person's mutex for ``kind`` while the block runs."""
        await self.charge(kind, person)
        key, token = f"person-lock:{self._namespace}:{kind}:{person}", secrets.token_hex(8)
        deadline = time.monotonic() + self.wait
        while not await self._kv.set_if_absent(key, token, HOLD_SECONDS):
            if time.monotonic() >= deadline:
                raise RateLimited("another request of this person is being processed; retry", 1)
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            if await self._kv.get(key) == token:
                await self._kv.delete(key)
