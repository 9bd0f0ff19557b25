from __future__ import annotations

import asyncio

import pytest

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.lockout import (
    Attempt,
    CodeAttempts,
    LockStatus,
    PasswordLockout,
    account_subject,
    unknown_login_subject,
)

SUBJECT = account_subject(1000299654)


def lockout(kv: KeyValueStore, *, lock_seconds: float = 900) -> PasswordLockout:
    return PasswordLockout(kv, max_failures=5, lock_seconds=lock_seconds)


async def fail(policy: PasswordLockout, subject: str = SUBJECT) -> tuple[Attempt, LockStatus]:
    attempt = await policy.reserve(subject)
    assert attempt.allowed
    return attempt, await policy.failed(attempt)


async def test_four_failures_leave_the_account_open_and_the_fifth_locks_it(kv: KeyValueStore) -> None:
    policy = lockout(kv)
    for number in range(1, 5):
        attempt, status = await fail(policy)
        assert attempt.number == number
        assert not status.locked
    assert not (await policy.status(SUBJECT)).locked
    _, status = await fail(policy)
    assert status.locked
    assert status.minutes_left == 15
    refused = await policy.reserve(SUBJECT)
    assert not refused.allowed
    assert 890 < refused.status.seconds_left <= 900
    assert (await policy.status(SUBJECT)).locked


async def test_a_success_resets_the_counter(kv: KeyValueStore) -> None:
    policy = lockout(kv)
    for _ in range(4):
        await fail(policy)
    attempt = await policy.reserve(SUBJECT)
    assert attempt.allowed
    await policy.succeeded(attempt)
    for _ in range(4):
        _, status = await fail(policy)
        assert not status.locked


async def test_accounts_are_counted_separately(kv: KeyValueStore) -> None:
    policy = lockout(kv)
    for _ in range(5):
        await fail(policy)
    other = await policy.reserve(account_subject(1))
    assert other.allowed
    assert other.number == 1


async def test_the_lock_ends_after_lock_seconds(kv: KeyValueStore) -> None:
    policy = lockout(kv, lock_seconds=0.3)
    for _ in range(5):
        await fail(policy)
    assert not (await policy.reserve(SUBJECT)).allowed
    await asyncio.sleep(0.45)
    assert not (await policy.status(SUBJECT)).locked
    attempt = await policy.reserve(SUBJECT)
    assert attempt.allowed
    assert attempt.number == 1


async def test_reset_unlocks_at_once(kv: KeyValueStore) -> None:
    policy = lockout(kv)
    for _ in range(5):
        await fail(policy)
    await policy.reset(SUBJECT)
    assert (await policy.reserve(SUBJECT)).allowed


@pytest.mark.parametrize("racers", [50, 200])
async def test_parallel_wrong_passwords_never_get_more_than_max_checks(
    kv: KeyValueStore, racers: int
) -> None:
    policy = lockout(kv)
    checks = 0

    async def wrong_password() -> bool:
        nonlocal checks
        attempt = await policy.reserve(SUBJECT)
        if not attempt.allowed:
            return False
        checks += 1
        await asyncio.sleep(0.01)  # the password hash takes time; others race meanwhile
        await policy.failed(attempt)
        return True

    checked = await asyncio.gather(*(wrong_password() for _ in range(racers)))
    assert checks == sum(checked) == 5
    assert policy.checks_granted == 5
    assert not (await policy.reserve(SUBJECT)).allowed
    assert policy.checks_granted == 5
    assert (await policy.status(SUBJECT)).locked


async def test_while_the_last_slot_is_checked_the_account_already_refuses(kv: KeyValueStore) -> None:
    policy = lockout(kv)
    for _ in range(4):
        await fail(policy)
    last = await policy.reserve(SUBJECT)
    assert last.allowed
    assert not (await policy.reserve(SUBJECT)).allowed
    await policy.succeeded(last)
    assert (await policy.reserve(SUBJECT)).allowed


def test_unknown_logins_lock_under_one_subject_per_normalised_login() -> None:
    assert unknown_login_subject("+7 999 111-22-33") == unknown_login_subject("89991112233")
    assert unknown_login_subject("Nobody@Example.test") == unknown_login_subject("nobody@example.test")
    assert unknown_login_subject("a@example.test") != unknown_login_subject("b@example.test")
    assert "9991112233" not in unknown_login_subject("89991112233")


def test_lock_status_rounds_minutes_up() -> None:
    assert LockStatus(locked=True, seconds_left=61).minutes_left == 2
    assert LockStatus(locked=True, seconds_left=0.5).minutes_left == 1
    assert LockStatus(locked=False).minutes_left == 0


async def test_code_attempts_allow_exactly_max_tries_even_in_parallel(kv: KeyValueStore) -> None:
    attempts = CodeAttempts(kv, max_failures=3, ttl=60)
    numbers = await asyncio.gather(*(attempts.reserve("tx-1") for _ in range(30)))
    granted = sorted(n for n in numbers if n is not None)
    assert granted == [1, 2, 3]
    assert attempts.remaining(3) == 0
    assert attempts.remaining(1) == 2
    assert await attempts.reserve("tx-2") == 1
    await attempts.clear("tx-1")
    assert await attempts.reserve("tx-1") == 1
