from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.config import ConfigurationError, load_settings
from frmr_sso.security.lockout import OPEN, PERMANENT_SECONDS, LockoutPolicy, LockStatus

POLICY = LockoutPolicy()


def test_defaults_follow_the_design() -> None:
    assert (POLICY.max_failures, POLICY.base_wait, POLICY.max_wait) == (5, 60.0, 900.0)
    assert POLICY.reset_after == 12 * 3600
    assert POLICY.permanent_after is None


def test_waits_double_from_one_minute_up_to_fifteen() -> None:
    assert [POLICY.wait(n) / 60 for n in range(1, 8)] == [1, 2, 4, 8, 15, 15, 15]


def test_failures_below_the_limit_leave_it_open() -> None:
    assert [POLICY.after_failure(n, 0) for n in range(1, 5)] == [OPEN] * 4


def test_the_last_allowed_failure_locks_with_the_escalating_wait() -> None:
    assert POLICY.after_failure(5, 0) == LockStatus(True, 60.0, lock_number=1)
    assert POLICY.after_failure(5, 3) == LockStatus(True, 480.0, lock_number=4)
    assert POLICY.after_failure(5, 40).seconds_left == 900.0


def test_permanent_after_n_temporary_locks() -> None:
    policy = LockoutPolicy(permanent_after=2)
    assert not policy.after_failure(5, 0).permanent
    assert not policy.after_failure(5, 1).permanent
    third = policy.after_failure(5, 2)
    assert third.permanent
    assert third.locked
    assert third.seconds_left == PERMANENT_SECONDS
    assert third.minutes_left == 0


def test_permanent_after_zero_locks_for_good_at_once() -> None:
    assert LockoutPolicy(permanent_after=0).after_failure(5, 0).permanent


def test_status_of_stored_counters() -> None:
    assert POLICY.status(3, 40_000) == OPEN
    assert POLICY.status(5, None) == OPEN
    assert POLICY.status(5, 0) == OPEN
    assert POLICY.status(5, 90) == LockStatus(True, 90)
    assert POLICY.status(5, PERMANENT_SECONDS).permanent


def test_minutes_left_round_up() -> None:
    assert LockStatus(True, 61).minutes_left == 2
    assert LockStatus(True, 0.5).minutes_left == 1
    assert LockStatus(True, 0.5).retry_after == 1
    assert OPEN.minutes_left == 0
    assert OPEN.retry_after == 0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_failures": 0}, {"base_wait": 0}, {"base_wait": 100, "max_wait": 50}, {"reset_after": 0},
     {"permanent_after": -1}],
)
def test_unsafe_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        LockoutPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    base=st.integers(1, 600), cap=st.integers(1, 7200), locks=st.integers(1, 200),
    failures=st.integers(1, 20), limit=st.integers(1, 20),
)
def test_waits_never_shrink_and_never_pass_the_cap(
    base: int, cap: int, locks: int, failures: int, limit: int
) -> None:
    if base > cap:
        base, cap = cap, base
    policy = LockoutPolicy(max_failures=limit, base_wait=base, max_wait=cap)
    assert base <= policy.wait(locks) <= cap
    assert policy.wait(locks) <= policy.wait(locks + 1)
    status = policy.after_failure(failures, locks - 1)
    assert status.locked == (failures >= limit)


def test_settings_carry_safe_defaults_and_refuse_a_base_wait_over_the_cap() -> None:
    settings = load_settings(mode="demo")
    waits = (settings.lockout_max_failures, settings.lockout_base_wait, settings.lockout_max_wait)
    assert waits == (5, 60, 900)
    assert settings.lockout_reset_after == 43_200
    assert settings.lockout_permanent_after is None
    assert settings.rate_limit_authorize_per_minute == 600
    with pytest.raises(ConfigurationError, match="LOCKOUT_BASE_WAIT"):
        load_settings(mode="demo", lockout_base_wait=1000)
