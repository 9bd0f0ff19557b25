"""Circuit breaker transitions with an injected clock."""

from __future__ import annotations

import pytest

from frmr_sso.upstream.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, window=10, cool_down=30, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_opens_after_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.retry_after() == 0
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    assert breaker.is_open
    assert not breaker.allow()
    assert breaker.counters.rejected == 1
    assert breaker.counters.opened == 1
    assert breaker.retry_after() == 30


def test_success_resets_the_streak(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_failures_outside_the_window_start_a_new_streak(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 2)
    clock.now += 11
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN


def test_half_open_lets_exactly_one_trial_through(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 29.5
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after() == 1
    clock.now += 0.5
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.is_open
    assert breaker.allow()
    assert breaker.is_open
    assert not breaker.allow()
    assert breaker.retry_after() == 30
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_failed_trial_opens_again_for_a_full_cool_down(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 30
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.counters.opened == 2
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_a_released_trial_frees_the_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 30
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_late_failures_while_open_do_not_extend_it(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 20
    breaker.record_failure()  # a call that started before the breaker opened
    assert breaker.retry_after() == 10
    assert breaker.counters.failures == 4


@pytest.mark.parametrize("bad", [{"failure_threshold": 0}, {"window": 0}, {"cool_down": -1}])
def test_refuses_nonsense(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(**bad)  # type: ignore[arg-type]
