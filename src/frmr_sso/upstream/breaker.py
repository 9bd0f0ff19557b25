"""A circuit breaker per upstream: an outage becomes a quick, clear answer instead of hung logins.

    closed ──N consecutive failures within `window` s──▶ open
    open ──`cool_down` s later──▶ half-open: exactly one trial call is let through
    half-open ──trial succeeds──▶ closed      half-open ──trial fails──▶ open (cool-down again)

Only unavailability counts as a failure (timeouts, connection errors, 5xx,
ESIA-007008): a provider that answers "no" is up. A trial that ends neither
way (the caller was cancelled) is given back with ``release``. The clock is
injected so the transitions are tested without sleeping; ``state`` and the
counters are what the metrics endpoint exports. The breaker is the one object
per connector that the connector and its transport share, so it also carries
the ``listener`` that the transport tells of every call (``web/metrics.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CallListener(Protocol):
    def __call__(self, connector: str, seconds: float, outcome: str) -> None:
        """One upstream call took ``seconds``; ``outcome`` is ``ok`` or the failure reason."""


@dataclass
class BreakerCounters:
    successes: int = 0
    failures: int = 0
    rejected: int = 0  # calls refused while open
    opened: int = 0  # transitions to open


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        window: float = 60.0,
        cool_down: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or window <= 0 or cool_down <= 0:
            raise ValueError("failure_threshold >= 1, window > 0 and cool_down > 0")
        self.failure_threshold = failure_threshold
        self.window = window
        self.cool_down = cool_down
        self.counters = BreakerCounters()
        self.listener: CallListener | None = None
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._streak = 0
        self._streak_started = 0.0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.cool_down:
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    @property
    def is_open(self) -> bool:
        """True while calls would be refused (open, or half-open with the trial under way)."""
        state = self.state
        return state is BreakerState.OPEN or (state is BreakerState.HALF_OPEN and self._trial_in_flight)

    def allow(self) -> bool:
        """May a call go out now? In half-open this takes the single trial slot."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        self.counters.rejected += 1
        return False

    def record_success(self) -> None:
        self.counters.successes += 1
        self._state = BreakerState.CLOSED
        self._streak = 0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self.counters.failures += 1
        now = self._clock()
        if self.state is BreakerState.HALF_OPEN:
            self._open(now)
            return
        if self._state is BreakerState.OPEN:
            return  # a call that started before the breaker opened
        if self._streak == 0 or now - self._streak_started > self.window:
            self._streak, self._streak_started = 0, now
        self._streak += 1
        if self._streak >= self.failure_threshold:
            self._open(now)

    def release(self) -> None:
        """The trial ended without a verdict (cancelled): let the next caller try."""
        self._trial_in_flight = False

    def retry_after(self) -> int:
        """Whole seconds until a call would be let through again; 0 when it would be now."""
        state = self.state
        if state is BreakerState.OPEN:
            return max(1, math.ceil(self.cool_down - (self._clock() - self._opened_at)))
        if state is BreakerState.HALF_OPEN and self._trial_in_flight:
            return max(1, math.ceil(self.cool_down))
        return 0

    def _open(self, now: float) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = now
        self._streak = 0
        self._trial_in_flight = False
        self.counters.opened += 1
