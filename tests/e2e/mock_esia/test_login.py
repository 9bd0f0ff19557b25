"""The login pages over real HTTP: /v2/ac → /login → second factor → back to the client."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from tests.support.esia_mock import (
    REDIRECT_URI,
    TRUSTED_CLIENT,
    MockEsia,
    password_step,
    sms_login,
    submit,
)
from tests.support.forms import find_form

DOCTOR = "+79990000001"
DOCTOR_PASSWORD = "Vrach-2026-Demo!"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def query(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    "login",
    [
        "+79990000001",
        "+7 999 000-00-01",
        "89990000001",
        "doctor@example.test",
        "112-233-445 95",
        "11223344595",
    ],
)
async def test_login_by_phone_email_or_snils_with_sms(
    mock: MockEsia, browser: httpx.AsyncClient, login: str
) -> None:
    page = await password_step(browser, mock, login, DOCTOR_PASSWORD)
    assert page.status_code == 200
    assert "+7 *** ***-**-01" in page.text
    [message] = (await browser.get(mock.url("/_dev/outbox"), params={"login": login})).json()
    assert message["phone"] == DOCTOR
    assert message["code"] in message["text"]

    done = await submit(browser, mock, page, "/login/code", code=message["code"])
    assert done.status_code == 302
    params = query(done.headers["location"])
    assert set(params) == {"code", "state"}
    grant = await mock.grant(done.headers["location"])
    assert (grant.oid, grant.amr, grant.client_id) == (1000299654, "PWD SMS", "TEST01")
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("esia_sid="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the mock runs on http


async def test_unknown_login_and_wrong_password_get_the_same_answer(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    wrong = await password_step(browser, mock, DOCTOR, "Wrong-Password-1!")
    unknown = await password_step(browser, mock, "+79991234567", "Wrong-Password-1!")
    for page in (wrong, unknown):
        assert page.status_code == 401
        assert "Неверный логин или пароль" in page.text
        assert find_form(page.text, action="/login").inputs["password"] == ""
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": DOCTOR})).json() == []


async def test_totp_login_and_a_replayed_code_is_refused(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    code = pyotp.TOTP(TOTP_SECRET).now()
    page = await password_step(browser, mock, "totp@example.test", "Totp-Vrach-2026!")
    assert "приложения" in page.text
    done = await submit(browser, mock, page, "/login/code", code=code)
    assert done.status_code == 302
    assert (await mock.grant(done.headers["location"])).amr == "PWD TOTP"

    async with httpx.AsyncClient(follow_redirects=False) as other_browser:
        page = await password_step(other_browser, mock, "totp@example.test", "Totp-Vrach-2026!")
        replay = await submit(other_browser, mock, page, "/login/code", code=code)
        assert replay.status_code == 400
        assert "уже использован" in replay.text


async def test_wrong_codes_until_the_tries_run_out_deny_access(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    real = await mock.sms_code(browser, DOCTOR)
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    first = await submit(browser, mock, page, "/login/code", code=wrong)
    assert first.status_code == 400
    assert "Неверный код. Осталось попыток: 2" in first.text
    second = await submit(browser, mock, first, "/login/code", code="12 34 5x")
    assert "Введите код из 6 цифр" in second.text  # malformed: no try used
    third = await submit(browser, mock, second, "/login/code", code=wrong)
    assert "Осталось попыток: 1" in third.text
    last = await submit(browser, mock, third, "/login/code", code=wrong)
    assert last.status_code == 302
    params = query(last.headers["location"])
    assert params["error"] == "access_denied"
    assert params["error_description"].startswith("ESIA-007004: ")
    late = await submit(browser, mock, third, "/login/code", code=real)
    assert late.status_code == 400
    assert "устарел" in late.text


async def test_resend_sends_a_new_code_and_the_old_one_stops_working(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    old = await mock.sms_code(browser, DOCTOR)
    resent = await submit(browser, mock, page, "/login/resend")
    assert "Новый код отправлен" in resent.text
    new = await mock.sms_code(browser, DOCTOR)
    messages = (await browser.get(mock.url("/_dev/outbox"), params={"login": DOCTOR})).json()
    assert [m["code"] for m in messages] == [new, old]
    if new != old:
        assert (await submit(browser, mock, resent, "/login/code", code=old)).status_code == 400
    assert (await submit(browser, mock, resent, "/login/code", code=new)).status_code == 302


async def test_account_without_second_factor_goes_straight_back(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    done = await password_step(browser, mock, "simple@example.test", "Uproschen-2026-Uz!")
    assert done.status_code == 302
    assert (await mock.grant(done.headers["location"])).amr == "PWD"


async def test_cancel_returns_access_denied_to_the_client(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    page = await mock.authorize(browser)
    cancelled = await submit(browser, mock, page, "/login/cancel")
    assert cancelled.status_code == 302
    params = query(cancelled.headers["location"])
    assert params["error"] == "access_denied"
    assert params["error_description"].startswith("ESIA-007004: ")
    assert params["state"]
    again = await submit(browser, mock, page, "/login", login=DOCTOR, password=DOCTOR_PASSWORD)
    assert again.status_code == 400
    assert "Запрос на вход устарел" in again.text


async def test_unconfirmed_account_is_refused_by_a_client_that_requires_trust(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    refused = await sms_login(browser, mock, "standard@example.test", "Standart-2026-Uz!", TRUSTED_CLIENT)
    assert refused.status_code == 302
    params = query(refused.headers["location"])
    assert params["error"] == "access_denied"
    assert params["error_description"].startswith("ESIA-007055: ")
    async with httpx.AsyncClient(follow_redirects=False) as other_browser:
        allowed = await sms_login(other_browser, mock, "standard@example.test", "Standart-2026-Uz!")
        assert "code" in query(allowed.headers["location"])


async def test_confirmed_account_passes_a_client_that_requires_trust(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    done = await sms_login(browser, mock, DOCTOR, DOCTOR_PASSWORD, TRUSTED_CLIENT)
    assert (await mock.grant(done.headers["location"])).client_id == TRUSTED_CLIENT


async def test_blocked_account_gets_its_page_after_the_right_password(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, "locked@example.test", "Zablokirovan-2026!")
    assert page.status_code == 403
    assert "Учётная запись заблокирована" in page.text
    wrong = await password_step(browser, mock, "locked@example.test", "Zablokirovan-2027!")
    assert wrong.status_code == 401


async def test_double_submit_of_the_code_mints_one_authorization_code(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)
    code = await mock.sms_code(browser, DOCTOR)
    first, second = await asyncio.gather(
        submit(browser, mock, page, "/login/code", code=code),
        submit(browser, mock, page, "/login/code", code=code),
    )
    assert sorted([first.status_code, second.status_code]) == [302, 400]


async def test_no_password_code_or_snils_reaches_the_logs(
    mock: MockEsia, browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await password_step(browser, mock, "112-233-445 95", "Wrong-Password-1!")
    page = await password_step(browser, mock, "112-233-445 95", DOCTOR_PASSWORD)
    code = await mock.sms_code(browser, DOCTOR)
    await submit(browser, mock, page, "/login/code", code=code)
    ours = [r for r in caplog.records if r.name.startswith(("mock_esia", "frmr_sso"))]
    assert any(r.getMessage() == "login completed" for r in ours)
    standard = set(vars(logging.makeLogRecord({})))
    dumped = "\n".join(
        f"{r.getMessage()} { ({k: v for k, v in vars(r).items() if k not in standard}) }" for r in ours
    )
    for secret in (DOCTOR_PASSWORD, "Wrong-Password-1!", "112-233-445 95", "11223344595"):
        assert secret not in dumped
    assert not re.search(rf"(?<!\d){code}(?!\d)", dumped)
