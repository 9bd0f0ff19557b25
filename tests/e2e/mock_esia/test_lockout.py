"""Wrong-password lockout over real HTTP, with parallel requests racing on one account."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.accounts import verify_password
from mock_esia.routes import login as login_routes
from tests.support.esia_mock import MockEsia, mock_settings, password_step, running_mock, submit

DOCTOR = "+79990000001"
DOCTOR_PASSWORD = "Vrach-2026-Demo!"


class CountingVerify:
    """Wraps ``verify_password`` as the login route calls it: how many password checks really ran."""

    def __init__(self, inner: Callable[[str, str], bool]) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self, password: str, stored: str) -> bool:
        with self._lock:
            self.calls += 1
        return self._inner(password, stored)


def find_code_form(page: httpx.Response) -> bool:
    return 'action="/login/code"' in page.text


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> CountingVerify:
    counter = CountingVerify(verify_password)
    monkeypatch.setattr(login_routes, "verify_password", counter)
    return counter


@pytest.fixture
async def quick_unlock(redis_url: str | None, signer: RsaSecretSigner) -> AsyncIterator[MockEsia]:
    async with running_mock(mock_settings(redis_url, lockout_minutes=0.05), signer) as running:
        yield running


async def test_fifty_parallel_wrong_passwords_get_at_most_five_checks(
    mock: MockEsia, browser: httpx.AsyncClient, checks: CountingVerify
) -> None:
    page = await mock.authorize(browser)
    forms = [
        ("+79990000001", "89990000001", "doctor@example.test", "112-233-445 95")[n % 4] for n in range(50)
    ]
    answers = await asyncio.gather(
        *(
            submit(browser, mock, page, "/login", login=login, password=f"Wrong-{n}-Pass!")
            for n, login in enumerate(forms)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(401) == 4, statuses  # wrong password, account still open
    assert statuses.count(423) == 46, statuses  # the fifth failure locks; the rest are never checked
    assert checks.calls == 5
    assert mock.state.lockout.checks_granted == 5
    locked = next(a for a in answers if a.status_code == 423)
    assert "Вход временно заблокирован" in locked.text
    assert "Повторите попытку через 15 мин." in locked.text

    right = await submit(browser, mock, page, "/login", login=DOCTOR, password=DOCTOR_PASSWORD)
    assert right.status_code == 423
    assert checks.calls == 5
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": DOCTOR})).json() == []


async def test_the_lock_ends_after_the_lock_time(
    quick_unlock: MockEsia, browser: httpx.AsyncClient, checks: CountingVerify
) -> None:
    mock = quick_unlock
    page = await mock.authorize(browser)
    answers = [
        await submit(browser, mock, page, "/login", login=DOCTOR, password="Wrong-Pass-2026!")
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 423]
    assert (
        await submit(browser, mock, page, "/login", login=DOCTOR, password=DOCTOR_PASSWORD)
    ).status_code == 423
    assert checks.calls == 5
    await asyncio.sleep(3.3)  # lockout_minutes=0.05 is 3 s
    unlocked = await submit(browser, mock, page, "/login", login=DOCTOR, password=DOCTOR_PASSWORD)
    assert unlocked.status_code == 200
    assert find_code_form(unlocked)


async def test_a_successful_login_resets_the_counter(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    for _ in range(4):
        assert (await password_step(browser, mock, DOCTOR, "Wrong-Pass-2026!")).status_code == 401
    assert find_code_form(await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD))
    for _ in range(4):
        assert (await password_step(browser, mock, DOCTOR, "Wrong-Pass-2026!")).status_code == 401


async def test_unknown_logins_lock_like_real_ones(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    statuses = [
        (await password_step(browser, mock, "ghost@example.test", "Wrong-Pass-2026!")).status_code
        for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 423, 423]
    assert (await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)).status_code == 200
