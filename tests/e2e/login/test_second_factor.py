"""The broker's own second factor end to end: a registry administrator enrols an authenticator at the
first login, confirms it with a first code, keeps ten recovery codes, and later logs in with a code.

Runs on the configured backend (SQLite + memory, or PostgreSQL + Redis).
"""

from __future__ import annotations

import asyncio

from frmr_sso.second_factor import totp
from tests.e2e.login.second_factor_support import (
    MFA_ACR,
    REGISTRAR,
    REGISTRAR_PASSWORD,
    Authenticator,
    enrol,
    open_page,
    post_code,
    read_enrolment,
    read_recovery_codes,
    second_factor,
)
from tests.e2e.login.support import (
    SPA_ID,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    id_token_claims,
    start,
)
from tests.support.forms import find_form


async def _events(rig: Rig, prefix: str = "second_factor.") -> list[str]:
    return [e.event_type for e in await rig.audit_events() if e.event_type.startswith(prefix)]


async def _login_enrolled(rig: Rig, app: Authenticator) -> None:
    """A first login of the registrar that enrols ``app``."""
    async with rig.spa() as client:
        url, state, _, _ = start(rig, client)
        done = await enrol(rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), app)
        assert_code_redirect(rig, done, SPA_REDIRECT, state)
    rig.browser.cookies.clear()


async def test_first_login_enrols_and_the_id_token_says_mfa(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
        assert "frmr_sso_session" not in callback.headers.get("set-cookie", "")  # no session before the code
        page = await open_page(rig, callback)
        assert_page(page, 200, "Подключите приложение-аутентификатор", "<svg")
        assert '<li aria-current="step">Код подтверждения</li>' in page.text  # step 2 of the login
        secret, uri = read_enrolment(page)
        assert uri.startswith("otpauth://totp/")
        assert f"secret={secret}" in uri
        assert len(secret) == 32
        again = await rig.browser.get(str(page.url))  # a reload shows the same secret
        assert read_enrolment(again)[0] == secret

        wrong = await post_code(rig, page, "000000" if totp.code_at(secret, 0) != "000000" else "111111")
        assert_page(wrong, 400, "Код неверный")
        assert read_enrolment(wrong)[0] == secret

        app = Authenticator(secret)
        shown = await post_code(rig, wrong, app.next_code())
        assert_page(shown, 200, "Сохраните резервные коды")
        codes = read_recovery_codes(shown)
        assert len(codes) == len(set(codes)) == 10
        reload = await rig.browser.get(str(page.url))
        assert_page(reload, 200, "Резервные коды уже были показаны")
        assert codes[0] not in reload.text

        form = find_form(shown.text, action="/login/2fa/continue")
        done = await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill())
        location = assert_code_redirect(rig, done, SPA_REDIRECT, state)
        assert "frmr_sso_session=" in done.headers["set-cookie"]
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    claims = await id_token_claims(rig, token["id_token"], SPA_ID, nonce)
    assert claims["acr"] == MFA_ACR
    assert "otp" in claims["amr"]
    assert await _events(rig) == [
        "second_factor.required",
        "second_factor.enrolment_started",
        "second_factor.code_rejected",
        "second_factor.enrolment_confirmed",
    ]
    stored = str([e.details for e in await rig.audit_events()])
    assert secret not in stored
    assert codes[0] not in stored


async def test_later_login_takes_a_code_once_and_refuses_its_replay(rig: Rig) -> None:
    app = Authenticator()
    await _login_enrolled(rig, app)
    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client)
        done = await second_factor(
            rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), app.next_code()
        )
        location = assert_code_redirect(rig, done, SPA_REDIRECT, state)
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    claims = await id_token_claims(rig, token["id_token"], SPA_ID, nonce)
    assert claims["acr"] == MFA_ACR
    assert "otp" in claims["amr"]
    rig.browser.cookies.clear()

    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    replayed = await second_factor(rig, callback, app.last_code())
    assert_page(replayed, 400, "уже был использован")
    older = await post_code(rig, replayed, totp.code_at(app.secret, app.last_step - 1))
    assert older.status_code == 400
    events = await _events(rig)
    assert events.count("second_factor.code_accepted") == 1
    assert events.count("second_factor.replay_refused") == 2


async def test_a_recovery_code_works_once(rig: Rig) -> None:
    app = Authenticator()
    await _login_enrolled(rig, app)
    recovery = app.recovery_codes[3]
    for expected in (302, 400):
        async with rig.spa() as client:
            url, state, *_ = start(rig, client)
            answer = await second_factor(
                rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), recovery.upper()
            )
        assert answer.status_code == expected, answer.text
        if expected == 302:
            assert_code_redirect(rig, answer, SPA_REDIRECT, state)
        rig.browser.cookies.clear()
    used = [e for e in await rig.audit_events() if e.event_type == "second_factor.recovery_code_used"]
    assert len(used) == 1
    assert used[0].details["remaining"] == 9


async def test_wrong_codes_lock_the_subject_and_the_page_says_how_long(rig: Rig) -> None:
    app = Authenticator()
    await _login_enrolled(rig, app)
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    page = await open_page(rig, callback)
    wrong = "999999" if app.last_code() != "999999" else "888888"
    for _ in range(4):
        page = await post_code(rig, page, wrong)
        assert_page(page, 400, "Код неверный")
    locked = await post_code(rig, page, wrong)
    assert_page(locked, 429, "Вход временно заблокирован", "Повторите попытку через 1 минуту")
    assert locked.headers["retry-after"] == "60"
    still = await post_code(rig, page, app.next_code())  # even the right code waits for the lock
    assert_page(still, 429, "Вход временно заблокирован")
    assert "subject.locked" in [e.event_type for e in await rig.audit_events()]


async def test_parallel_wrong_codes_are_checked_no_more_than_the_limit(rig: Rig) -> None:
    app = Authenticator()
    await _login_enrolled(rig, app)
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    page = await open_page(rig, callback)
    form = find_form(page.text, field="code")
    guesses = [f"{n:06d}" for n in range(100_000, 100_030) if f"{n:06d}" != app.last_code()][:24]
    answers = await asyncio.gather(
        *(rig.browser.post(f"{rig.broker}{form.action}", data=form.fill(code=g)) for g in guesses)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(400) + statuses.count(429) == len(guesses)
    rejected = [e for e in await rig.audit_events() if e.event_type == "second_factor.code_rejected"]
    checked = [e for e in rejected if e.details["reason"] == "wrong"]
    assert len(checked) == 5  # FRMR_SSO_LOCKOUT_MAX_FAILURES: the rest were refused unchecked
    assert len(rejected) == len(guesses)
    assert statuses.count(400) == 4
