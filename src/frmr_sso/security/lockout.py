"""Lockout policy, Keycloak style: pure arithmetic, no I/O (``security/limiter.py`` stores it).

``max_failures`` wrong secrets lock the subject, client or IP for ``base_wait``
seconds; every further lock within ``reset_after`` doubles the wait up to
``max_wait`` (1, 2, 4, 8, 15 minutes with the defaults). With
``permanent_after`` set, the lock that follows that many temporary ones lasts
until an administrator unlocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PERMANENT_SECONDS = 100 * 365 * 86_400.0  # a "permanent" lock is one no clock outlives


@dataclass(frozen=True, slots=True)
class LockStatus:
    locked: bool
    seconds_left: float = 0.0
    permanent: bool = False
    lock_number: int = 0

    @property
    def minutes_left(self) -> int:
        """Whole minutes to show on the locked page (at least one while locked)."""
        if not self.locked or self.permanent:
            return 0
        return max(1, math.ceil(self.seconds_left / 60))

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.seconds_left)) if self.locked else 0


OPEN = LockStatus(locked=False)


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    base_wait: float = 60.0
    max_wait: float = 900.0
    reset_after: float = 43_200.0
    permanent_after: int | None = None

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if not 0 < self.base_wait <= self.max_wait:
            raise ValueError("need 0 < base_wait <= max_wait")
        if self.reset_after <= 0:
            raise ValueError("reset_after must be positive")
        if self.permanent_after is not None and self.permanent_after < 0:
            raise ValueError("permanent_after must not be negative")

    def wait(self, lock_number: int) -> float:
        """Seconds of the ``lock_number``-th temporary lock (1-based): doubling, capped."""
        if lock_number < 1:
            raise ValueError("lock_number starts at 1")
        exponent = min(lock_number - 1, 64)  # 2**64 minutes outgrow any cap
        return float(min(self.base_wait * 2**exponent, self.max_wait))

    def is_permanent(self, lock_number: int) -> bool:
        return self.permanent_after is not None and lock_number > self.permanent_after

    def after_failure(self, failure_number: int, locks_before: int) -> LockStatus:
        """The state after the ``failure_number``-th failure of a round, ``locks_before`` locks ago."""
        if failure_number < self.max_failures:
            return OPEN
        number = locks_before + 1
        if self.is_permanent(number):
            return LockStatus(locked=True, seconds_left=PERMANENT_SECONDS, permanent=True, lock_number=number)
        return LockStatus(locked=True, seconds_left=self.wait(number), lock_number=number)

    def status(self, failures: int, seconds_left: float | None) -> LockStatus:
        """The state of a stored counter: ``failures`` (or the lock value) and its time to live."""
        if failures < self.max_failures or seconds_left is None or seconds_left <= 0:
            return OPEN
        permanent = seconds_left > max(self.max_wait, self.reset_after)
        return LockStatus(locked=True, seconds_left=seconds_left, permanent=permanent)
