"""Wrong-password lockout per account and wrong one-time codes per transaction.

Exact under concurrency by reserving before verifying: every password check
first takes a numbered slot with one atomic ``incr`` (memory: no ``await``
between read and write; Redis: a Lua script). Only slots ``1..max_failures`` may
check the password, so however many requests race, at most ``max_failures``
checks run before the lock. The holder of the last slot that fails turns the
counter into the lock (value ``max_failures``, time to live ``lock_seconds``);
a success deletes the counter. Any request whose slot is past the limit is
refused without touching the password.

The counter lives ``window_seconds`` (default ``lock_seconds``) from the first
failure: five wrong passwords within the window lock the account for
``lock_seconds`` after the fifth.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.accounts import login_candidates


@dataclass(frozen=True)
class LockStatus:
    locked: bool
    seconds_left: float = 0.0

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60)) if self.locked else 0


UNLOCKED = LockStatus(locked=False)


@dataclass(frozen=True)
class Attempt:
    subject: str
    number: int
    status: LockStatus

    @property
    def allowed(self) -> bool:
        return not self.status.locked


def account_subject(oid: int) -> str:
    return f"oid:{oid}"


def unknown_login_subject(raw_login: str) -> str:
    """Unknown logins lock too, so the lock page does not reveal which logins exist."""
    candidates = login_candidates(raw_login) or [raw_login.strip().lower()]
    return "login:" + hashlib.sha256(candidates[0].encode()).hexdigest()[:32]


class PasswordLockout:
    def __init__(
        self,
        kv: KeyValueStore,
        *,
        max_failures: int,
        lock_seconds: float,
        window_seconds: float | None = None,
    ) -> None:
        self._kv = kv
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self._window = window_seconds or lock_seconds
        self.checks_granted = 0  # password checks this process allowed (for tests and metrics)

    @staticmethod
    def _key(subject: str) -> str:
        return f"pwfail:{subject}"

    async def reserve(self, subject: str) -> Attempt:
        """Take a slot before checking a password; check it only when ``attempt.allowed``."""
        number = await self._kv.incr(self._key(subject), self._window)
        if number <= self.max_failures:
            self.checks_granted += 1
            return Attempt(subject, number, UNLOCKED)
        status = await self.status(subject)
        if not status.locked:  # the last slot's holder succeeded meanwhile; stay conservative
            status = LockStatus(locked=True, seconds_left=1.0)
        return Attempt(subject, number, status)

    async def failed(self, attempt: Attempt) -> LockStatus:
        if attempt.number < self.max_failures:
            return UNLOCKED
        await self._kv.set(self._key(attempt.subject), str(self.max_failures), self.lock_seconds)
        return LockStatus(locked=True, seconds_left=self.lock_seconds)

    async def succeeded(self, attempt: Attempt) -> None:
        await self.reset(attempt.subject)

    async def reset(self, subject: str) -> None:
        await self._kv.delete(self._key(subject))

    async def status(self, subject: str) -> LockStatus:
        raw = await self._kv.get(self._key(subject))
        if raw is None or int(raw) < self.max_failures:
            return UNLOCKED
        left = await self._kv.ttl(self._key(subject))
        return LockStatus(locked=True, seconds_left=self.lock_seconds if left is None else left)


class CodeAttempts:
    """Tries at a one-time code (second factor, recovery) per transaction, reserved before checking."""

    def __init__(self, kv: KeyValueStore, *, max_failures: int, ttl: float, namespace: str = "otp") -> None:
        self._kv = kv
        self.max_failures = max_failures
        self._ttl = ttl
        self._namespace = namespace

    def _key(self, scope: str) -> str:
        return f"{self._namespace}:tries:{scope}"

    async def reserve(self, scope: str) -> int | None:
        """The attempt number, or None when the tries are used up (the code must not be checked)."""
        number = await self._kv.incr(self._key(scope), self._ttl)
        return number if number <= self.max_failures else None

    def remaining(self, number: int) -> int:
        return max(0, self.max_failures - number)

    async def clear(self, scope: str) -> None:
        await self._kv.delete(self._key(scope))
