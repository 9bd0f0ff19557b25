"""Lockout and rate limits kept in the ``KeyValueStore``, exact under concurrent requests.

``Lockout`` reserves before the secret is checked: ``attempt`` takes a numbered
slot with one atomic ``incr``; only slots ``1..max_failures`` may check, so however
many requests race, at most ``max_failures`` wrong secrets are tried per round.
The holder of the last slot that fails turns the counter into the lock (a value
of ``LOCKED`` or more, living the policy's wait); a success deletes it. When the
lock expires the key is gone and a new round begins; ``locks:`` remembers how
many locks the window saw, for the doubling wait.

``status_cached`` is for a secret already proven right (the token hot path):
an open status is remembered for ``OPEN_CACHE_SECONDS`` in this process, so a
client with its right secret costs no KV read per request. A lock this process
starts or lifts clears that at once; a lock another instance starts applies
here within ``OPEN_CACHE_SECONDS``. A guessed secret never takes this path.

``RateLimiter``: a fixed window, one atomic ``incr`` per request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from frmr_sso.security.lockout import OPEN, LockoutPolicy, LockStatus
from frmr_sso.storage.ports import KeyValueStore

LOCKED = 1_000_000_000  # counter value of a lock; in-flight attempts only ever add a few
OPEN_CACHE_SECONDS = 1.0
SETTLE_SECONDS = 2.0  # how long an attempt waits for the round's running checks to settle
SETTLE_POLL_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved check: report it with ``failed`` or ``succeeded``."""

    key: str
    number: int
    after_lock: bool = False  # the first attempt after a lock ran out (the automatic unlock)


@dataclass(frozen=True, slots=True)
class Locked:
    key: str
    status: LockStatus


class Lockout:
    def __init__(self, kv: KeyValueStore, policy: LockoutPolicy, namespace: str) -> None:
        self._kv = kv
        self.policy = policy
        self.namespace = namespace
        self.checks_granted = 0  # secret checks this process allowed (tests, metrics)
        self.open_cache_seconds = OPEN_CACHE_SECONDS
        self.settle_seconds = SETTLE_SECONDS
        self._open_until: dict[str, float] = {}

    def _k(self, kind: str, key: str) -> str:
        return f"lockout:{self.namespace}:{kind}:{key}"

    async def attempt(self, key: str) -> Attempt | Locked:
        """A slot to check one secret, or the lock in force.

        When every slot of the round is taken but no lock is in force yet, those checks are
        still running: wait (up to ``settle_seconds``) for them to settle. A success among
        them opens a new round, so a burst of right secrets is not refused; failures start
        the lock, which this attempt then reports. Only slots ``1..max_failures`` ever check.
        """
        deadline = time.monotonic() + self.settle_seconds
        while True:
            number = await self._kv.incr(self._k("n", key), self.policy.reset_after)
            if number <= self.policy.max_failures:
                break
            status = await self.status(key)
            if status.locked:
                return Locked(key, status)
            if time.monotonic() >= deadline:  # still unsettled: refuse, briefly
                return Locked(key, LockStatus(locked=True, seconds_left=1.0))
            await asyncio.sleep(SETTLE_POLL_SECONDS)
        self.checks_granted += 1
        after_lock = number == 1 and await self._kv.get_and_delete(self._k("was", key)) is not None
        return Attempt(key, number, after_lock)

    async def failed(self, attempt: Attempt) -> LockStatus:
        """The lock this failure started, or ``OPEN``."""
        if attempt.number < self.policy.max_failures:
            return OPEN
        locks_before = int(await self._kv.get(self._k("locks", attempt.key)) or 0)
        status = self.policy.after_failure(attempt.number, locks_before)
        self._open_until.pop(attempt.key, None)
        await self._kv.set(self._k("n", attempt.key), str(LOCKED), status.seconds_left)
        await self._kv.incr(self._k("locks", attempt.key), self.policy.reset_after)
        await self._kv.set(self._k("was", attempt.key), "1", self.policy.reset_after)
        return status

    async def succeeded(self, key: str) -> None:
        await self._kv.delete(self._k("n", key))

    async def unlock(self, key: str) -> bool:
        """Lift a lock and forget the window's failures; True when a lock was in force."""
        was_locked = (await self.status(key)).locked
        self._open_until.pop(key, None)
        for kind in ("n", "locks", "was"):
            await self._kv.delete(self._k(kind, key))
        return was_locked

    async def group_add(self, group: str, key: str) -> None:
        """Remember ``key`` under ``group`` for the window (the addresses that failed for one client)."""
        await self._kv.set_add(self._k("group", group), key, self.policy.reset_after)

    async def unlock_group(self, group: str) -> bool:
        """``unlock`` every key remembered under ``group``; True when one of them was locked."""
        keys = await self._kv.set_members(self._k("group", group))
        await self._kv.delete(self._k("group", group))
        return any([await self.unlock(key) for key in sorted(keys)])

    async def status_cached(self, key: str) -> LockStatus:
        """``status``, with an open one remembered briefly (only for secrets already proven right)."""
        now = time.monotonic()
        if self._open_until.get(key, 0.0) > now:
            return OPEN
        status = await self.status(key)
        if not status.locked and self.open_cache_seconds > 0:
            if len(self._open_until) > 10_000:  # (client, address) keys that proved a right secret: a bound
                self._open_until.clear()
            self._open_until[key] = now + self.open_cache_seconds
        return status

    async def status(self, key: str) -> LockStatus:
        raw = await self._kv.get(self._k("n", key))
        if raw is None or int(raw) < LOCKED:
            return OPEN
        status = self.policy.status(self.policy.max_failures, await self._kv.ttl(self._k("n", key)))
        if status.locked:
            locks = int(await self._kv.get(self._k("locks", key)) or 0)
            return LockStatus(True, status.seconds_left, status.permanent, locks)
        return status


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    count: int
    retry_after: int


class RateLimiter:
    """At most ``limit`` requests per key in each fixed ``window`` of seconds; ``limit`` 0 lets all pass."""

    def __init__(
        self, kv: KeyValueStore, limit: int, window: float = 60.0, *, namespace: str = "rate",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 0 or window <= 0:
            raise ValueError("need limit >= 0 and window > 0")
        self._kv = kv
        self.limit, self.window, self.namespace = limit, window, namespace
        self._clock = clock

    async def hit(self, key: str) -> RateDecision:
        if self.limit == 0:
            return RateDecision(True, 0, 0)
        now = self._clock()
        slot = int(now // self.window)
        count = await self._kv.incr(f"rate:{self.namespace}:{slot}:{key}", self.window)
        retry_after = max(1, math.ceil((slot + 1) * self.window - now))
        return RateDecision(count <= self.limit, count, 0 if count <= self.limit else retry_after)
