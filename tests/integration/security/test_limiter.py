"""Lockout and rate limits on both KV backends, under many parallel requests."""

from __future__ import annotations

import asyncio

from frmr_sso.security.limiter import Attempt, Locked, Lockout, RateLimiter
from frmr_sso.security.lockout import LockoutPolicy
from frmr_sso.storage.ports import KeyValueStore

POLICY = LockoutPolicy(max_failures=5, base_wait=60, max_wait=900, reset_after=3600)


async def wrong_secret(lockout: Lockout, key: str, checks: list[int]) -> Attempt | Locked:
    attempt = await lockout.attempt(key)
    if isinstance(attempt, Locked):
        return attempt
    checks.append(attempt.number)
    await asyncio.sleep(0)  # the secret check: let the others race
    await lockout.failed(attempt)
    return attempt


async def test_parallel_wrong_attempts_check_exactly_max_failures(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "t")
    checks: list[int] = []
    results = await asyncio.gather(*(wrong_secret(lockout, "client-a", checks) for _ in range(100)))
    assert sorted(checks) == [1, 2, 3, 4, 5]
    assert sum(isinstance(r, Attempt) for r in results) == 5
    status = await lockout.status("client-a")
    assert status.locked
    assert not status.permanent
    assert 55 <= status.seconds_left <= 60
    assert status.lock_number == 1
    refused = await lockout.attempt("client-a")  # even the right secret now waits
    assert isinstance(refused, Locked)
    assert 55 <= refused.status.seconds_left <= 60
    assert (await lockout.status("client-b")).locked is False


async def test_unlock_opens_a_new_round(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "t")
    for _ in range(5):
        attempt = await lockout.attempt("c")
        assert isinstance(attempt, Attempt)
        await lockout.failed(attempt)
    assert await lockout.unlock("c") is True
    assert await lockout.unlock("c") is False
    attempt = await lockout.attempt("c")
    assert isinstance(attempt, Attempt)
    assert attempt.number == 1
    assert not attempt.after_lock


async def test_waits_escalate_and_expiry_is_reported(kv: KeyValueStore) -> None:
    policy = LockoutPolicy(max_failures=2, base_wait=0.3, max_wait=0.5, reset_after=3600, permanent_after=2)
    lockout = Lockout(kv, policy, "esc")
    waits = []
    for round_number in range(3):
        if round_number:
            await asyncio.sleep(0.6)  # the temporary lock runs out
        statuses = []
        for n in range(2):
            attempt = await lockout.attempt("s")
            assert isinstance(attempt, Attempt)
            assert attempt.after_lock == (round_number > 0 and n == 0)
            statuses.append(await lockout.failed(attempt))
        waits.append(statuses[-1])
    assert [w.seconds_left for w in waits[:2]] == [0.3, 0.5]
    assert waits[2].permanent
    await asyncio.sleep(0.6)
    assert (await lockout.status("s")).permanent
    assert isinstance(await lockout.attempt("s"), Locked)
    assert await lockout.unlock("s")
    assert isinstance(await lockout.attempt("s"), Attempt)


async def test_a_burst_of_right_secrets_waits_for_its_round_and_passes(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "burst")
    checks: list[int] = []

    async def right_secret() -> Attempt | Locked:
        attempt = await lockout.attempt("client-a")
        if isinstance(attempt, Attempt):
            checks.append(attempt.number)
            await asyncio.sleep(0.01)  # the secret check (scrypt) takes a while
            await lockout.succeeded("client-a")
        return attempt

    results = await asyncio.gather(*(right_secret() for _ in range(40)))
    assert all(isinstance(r, Attempt) for r in results)  # none refused as if locked
    assert len(checks) == 40
    assert max(checks) <= POLICY.max_failures
    assert (await lockout.status("client-a")).locked is False


async def test_attempts_beyond_the_round_report_the_lock_their_round_starts(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "settle")
    checks: list[int] = []

    async def slow_wrong() -> Attempt | Locked:
        attempt = await lockout.attempt("c")
        if isinstance(attempt, Locked):
            return attempt
        checks.append(attempt.number)
        await asyncio.sleep(0.05)
        await lockout.failed(attempt)
        return attempt

    results = await asyncio.gather(*(slow_wrong() for _ in range(12)))
    assert sorted(checks) == [1, 2, 3, 4, 5]
    refused = [r for r in results if isinstance(r, Locked)]
    assert len(refused) == 7
    assert all(55 <= r.status.seconds_left <= 60 for r in refused)  # the real lock, not a guess


async def test_a_success_clears_the_failures(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "ok")
    for _ in range(4):
        attempt = await lockout.attempt("c")
        assert isinstance(attempt, Attempt)
        await lockout.failed(attempt)
    await lockout.succeeded("c")
    attempt = await lockout.attempt("c")
    assert isinstance(attempt, Attempt)
    assert attempt.number == 1


async def test_rate_limiter_is_exact_under_parallel_requests(kv: KeyValueStore) -> None:
    now = 60 * 16_667 + 20.0
    limiter = RateLimiter(kv, 50, 60, namespace="rl", clock=lambda: now)
    decisions = await asyncio.gather(*(limiter.hit("198.51.100.7") for _ in range(200)))
    assert sum(d.allowed for d in decisions) == 50
    assert {d.retry_after for d in decisions if not d.allowed} == {60 - 20}
    assert (await limiter.hit("198.51.100.8")).allowed
    now += 60  # the next window
    assert (await limiter.hit("198.51.100.7")).allowed


async def test_rate_limit_zero_is_off(kv: KeyValueStore) -> None:
    limiter = RateLimiter(kv, 0)
    assert all([(await limiter.hit("x")).allowed for _ in range(5)])


async def test_an_open_status_is_remembered_briefly_and_a_local_lock_clears_it(kv: KeyValueStore) -> None:
    lockout = Lockout(kv, POLICY, "cached")
    assert not (await lockout.status_cached("c")).locked
    for _ in range(POLICY.max_failures):  # this process locks "c": its remembered open status goes
        attempt = await lockout.attempt("c")
        assert not isinstance(attempt, Locked)
        await lockout.failed(attempt)
    assert (await lockout.status_cached("c")).locked
    await lockout.unlock("c")
    lockout.open_cache_seconds = 3600  # no clock in the test's way
    assert not (await lockout.status_cached("c")).locked
    other = Lockout(kv, POLICY, "cached")  # another instance locks "c" behind this one's back
    for _ in range(POLICY.max_failures):
        attempt = await other.attempt("c")
        assert not isinstance(attempt, Locked)
        await other.failed(attempt)
    assert not (await lockout.status_cached("c")).locked  # still remembered open
    lockout.open_cache_seconds = 0
    lockout._open_until.clear()
    assert (await lockout.status_cached("c")).locked
    assert (await lockout.status("c")).locked
