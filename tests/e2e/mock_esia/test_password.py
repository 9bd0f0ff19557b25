"""Forced change of an expired password, and recovery by a one-time code, over real HTTP."""

from __future__ import annotations

import httpx

from mock_esia.password_policy import COMMON_WORD, MISMATCH, NO_DIGIT, SEQUENCE, TOO_SHORT
from tests.support.esia_mock import MockEsia, password_step, sms_login, submit
from tests.support.forms import find_form

EXPIRED = "expired@example.test"
EXPIRED_PASSWORD = "Staryi-Parol-2025!"
NEW_PASSWORD = "Novyi-Klyuch-2026?"
DOCTOR = "+79990000001"
DOCTOR_PASSWORD = "Vrach-2026-Demo!"


async def test_expired_password_must_be_changed_under_the_policy(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, EXPIRED, EXPIRED_PASSWORD)
    assert page.status_code == 200
    assert "Срок действия пароля истёк" in page.text
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": EXPIRED})).json() == []

    weak = await submit(
        browser, mock, page, "/login/password", new_password="qwerty", new_password_confirm="qwerty"
    )
    assert weak.status_code == 400
    for message in (TOO_SHORT, NO_DIGIT, SEQUENCE, COMMON_WORD):
        assert message in weak.text
    mismatch = await submit(
        browser,
        mock,
        weak,
        "/login/password",
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD + "x",
    )
    assert MISMATCH in mismatch.text

    changed = await submit(
        browser,
        mock,
        mismatch,
        "/login/password",
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD,
    )
    assert changed.status_code == 200
    assert find_form(changed.text, action="/login/code")
    code = await mock.sms_code(browser, EXPIRED)
    done = await submit(browser, mock, changed, "/login/code", code=code)
    assert done.status_code == 302
    assert "code=" in done.headers["location"]

    async with httpx.AsyncClient(follow_redirects=False) as fresh:
        old = await password_step(fresh, mock, EXPIRED, EXPIRED_PASSWORD)
        assert old.status_code == 401
        again = await sms_login(fresh, mock, EXPIRED, NEW_PASSWORD)
        assert again.status_code == 302


async def test_a_cancelled_login_cannot_change_the_password(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    page = await password_step(browser, mock, EXPIRED, EXPIRED_PASSWORD)
    skipped = await submit(browser, mock, page, "/login/cancel")
    assert skipped.status_code == 302
    late = await submit(
        browser, mock, page, "/login/password", new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD
    )
    assert late.status_code == 400


async def recovery_confirm_page(browser: httpx.AsyncClient, mock: MockEsia, login: str) -> httpx.Response:
    start = await browser.get(mock.url("/recovery"))
    assert start.status_code == 200
    return await submit(browser, mock, start, "/recovery", login=login)


async def test_recovery_replaces_the_password_and_unlocks(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    for _ in range(5):
        await password_step(browser, mock, DOCTOR, "Wrong-Pass-2026!")
    assert (await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)).status_code == 423

    page = await recovery_confirm_page(browser, mock, "doctor@example.test")
    assert page.status_code == 200
    code = await mock.sms_code(browser, DOCTOR)
    wrong_code = f"{(int(code) + 1) % 10**6:06d}"
    wrong = await submit(
        browser,
        mock,
        page,
        "/recovery/confirm",
        code=wrong_code,
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD,
    )
    assert wrong.status_code == 400
    assert "Неверный код. Осталось попыток: 2" in wrong.text
    weak = await submit(
        browser,
        mock,
        wrong,
        "/recovery/confirm",
        code=code,
        new_password="password1",
        new_password_confirm="password1",
    )
    assert weak.status_code == 400
    assert COMMON_WORD in weak.text
    reused = await submit(
        browser,
        mock,
        weak,
        "/recovery/confirm",
        code=code,
        new_password=DOCTOR_PASSWORD,
        new_password_confirm=DOCTOR_PASSWORD,
    )
    assert "отличаться от текущего" in reused.text
    assert (
        "code" not in find_form(reused.text, action="/recovery/confirm").inputs
    )  # the code is already proven
    done = await submit(
        browser,
        mock,
        reused,
        "/recovery/confirm",
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD,
    )
    assert done.status_code == 200
    assert "Пароль изменён" in done.text

    again = await submit(
        browser,
        mock,
        reused,
        "/recovery/confirm",
        new_password="Tretii-Klyuch-2026!",
        new_password_confirm="Tretii-Klyuch-2026!",
    )
    assert again.status_code == 400
    assert "Код недействителен" in again.text
    assert (await password_step(browser, mock, DOCTOR, DOCTOR_PASSWORD)).status_code == 401
    assert (await sms_login(browser, mock, DOCTOR, NEW_PASSWORD)).status_code == 302


async def test_recovery_for_an_unknown_login_looks_the_same_and_sends_nothing(
    mock: MockEsia, browser: httpx.AsyncClient
) -> None:
    known = await recovery_confirm_page(browser, mock, DOCTOR)
    unknown = await recovery_confirm_page(browser, mock, "+79995550000")
    blocked = await recovery_confirm_page(browser, mock, "locked@example.test")
    assert known.status_code == unknown.status_code == blocked.status_code == 200
    shape = find_form(known.text, action="/recovery/confirm").inputs.keys()
    assert find_form(unknown.text, action="/recovery/confirm").inputs.keys() == shape
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": "+79995550000"})).json() == []
    assert (await browser.get(mock.url("/_dev/outbox"), params={"login": "locked@example.test"})).json() == []
    answers = [
        await submit(
            browser,
            mock,
            unknown,
            "/recovery/confirm",
            code=f"{n:06d}",
            new_password=NEW_PASSWORD,
            new_password_confirm=NEW_PASSWORD,
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "Превышено число попыток" in answers[-1].text


async def test_recovery_code_tries_are_limited(mock: MockEsia, browser: httpx.AsyncClient) -> None:
    page = await recovery_confirm_page(browser, mock, DOCTOR)
    code = await mock.sms_code(browser, DOCTOR)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        last = await submit(
            browser,
            mock,
            page,
            "/recovery/confirm",
            code=wrong,
            new_password=NEW_PASSWORD,
            new_password_confirm=NEW_PASSWORD,
        )
    assert "Превышено число попыток" in last.text
    late = await submit(
        browser,
        mock,
        page,
        "/recovery/confirm",
        code=code,
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD,
    )
    assert "Код недействителен" in late.text
    assert (await sms_login(browser, mock, DOCTOR, DOCTOR_PASSWORD)).status_code == 302
