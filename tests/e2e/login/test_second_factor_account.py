"""``/account/2fa``: a person replaces their own authenticator with a live SSO session."""

from __future__ import annotations

from tests.e2e.login.second_factor_support import (
    REGISTRAR,
    REGISTRAR_PASSWORD,
    Authenticator,
    enrol,
    read_enrolment,
    read_recovery_codes,
    second_factor,
)
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    start,
)
from tests.support.forms import find_form


async def _post(rig: Rig, page_html: str, code: str) -> tuple[int, str]:
    form = find_form(page_html, action="/account/2fa")
    answer = await rig.browser.post(f"{rig.broker}/account/2fa", data=form.fill(code=code))
    return answer.status_code, answer.text


async def test_the_new_authenticator_replaces_the_old_only_after_its_first_code(rig: Rig) -> None:
    cabinet = f"{rig.broker}/cabinet"
    signed_out = await rig.browser.get(f"{rig.broker}/account/2fa")
    assert_page(
        signed_out, 401, "Вы не вошли", f'href="{cabinet}/login?next=second-factor">Войти в личный кабинет'
    )
    old = Authenticator()
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        assert_code_redirect(
            rig,
            await enrol(rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), old),
            SPA_REDIRECT,
            state,
        )
    page = await rig.browser.get(f"{rig.broker}/account/2fa")
    assert_page(page, 200, "Подключите новое приложение-аутентификатор")
    assert f'<a href="{cabinet}/second-factor" data-back>Вернуться в личный кабинет</a>' in page.text
    new = Authenticator(read_enrolment(page)[0])
    assert new.secret != old.secret
    status, _ = await _post(rig, page.text, old.next_code())  # a code of the old app is no confirmation
    assert status == 400
    forged = await rig.browser.post(
        f"{rig.broker}/account/2fa", data={"csrf": "forged", "code": new.next_code()}
    )
    assert_page(forged, 400, "Форма устарела", 'href="/account/2fa">Открыть страницу заново')
    new.last_step -= 1
    status, shown = await _post(rig, page.text, new.next_code())
    assert status == 200, shown
    codes = read_recovery_codes(shown)
    assert len(codes) == 10
    assert not set(codes) & set(old.recovery_codes)
    rig.browser.cookies.clear()

    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    assert (await second_factor(rig, callback, old.recovery_codes[0])).status_code == 400
    rig.browser.cookies.clear()
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    assert_code_redirect(rig, await second_factor(rig, callback, new.next_code()), SPA_REDIRECT, state)
    confirmed = [e for e in await rig.audit_events() if e.event_type == "second_factor.enrolment_confirmed"]
    assert [e.details["where"] for e in confirmed] == ["login", "account"]
    assert confirmed[-1].details["replaced"] is True


async def test_an_enrolled_person_must_have_used_the_factor_in_this_session(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)  # demo-spa asks no second factor of a doctor
    page = await rig.browser.get(f"{rig.broker}/account/2fa")  # not enrolled yet: may enrol
    app = Authenticator(read_enrolment(page)[0])
    status, _ = await _post(rig, page.text, app.next_code())
    assert status == 200
    refused = await rig.browser.get(f"{rig.broker}/account/2fa")  # the session has no otp
    cabinet = f"{rig.broker}/cabinet"
    assert_page(
        refused,
        403,
        "Нужно подтверждение вторым фактором",
        f'href="{cabinet}/second-factor">Вернуться в личный кабинет',
    )


async def test_new_recovery_codes_replace_the_old_set(rig: Rig) -> None:
    app = Authenticator()
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        done = await enrol(rig, await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD), app)
        assert_code_redirect(rig, done, SPA_REDIRECT, state)
    page = await rig.browser.get(f"{rig.broker}/account/2fa")
    form = find_form(page.text, action="/account/2fa/recovery-codes")
    forged = await rig.browser.post(f"{rig.broker}/account/2fa/recovery-codes", data={"csrf": "forged"})
    assert_page(forged, 400, "Форма устарела", 'href="/account/2fa">Открыть страницу заново')
    shown = await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill())
    assert_page(shown, 200, "Сохраните резервные коды", "вернуться в личный кабинет")
    codes = read_recovery_codes(shown)
    assert len(codes) == 10
    assert not set(codes) & set(app.recovery_codes)
    events = await rig.audit_events()
    assert [e.event_type for e in events].count("second_factor.recovery_codes_replaced") == 1
    assert not any(code in repr(event) for event in events for code in codes)  # never in the audit log
    rig.browser.cookies.clear()

    async with rig.spa() as client:
        url, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    assert (await second_factor(rig, callback, app.recovery_codes[0])).status_code == 400  # the old set
    rig.browser.cookies.clear()
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        callback = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)
    assert_code_redirect(rig, await second_factor(rig, callback, codes[0]), SPA_REDIRECT, state)


async def test_new_recovery_codes_need_the_factor_in_this_session(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)  # no second factor yet, so none in the session
    page = await rig.browser.get(f"{rig.broker}/account/2fa")
    form = find_form(page.text, action="/account/2fa/recovery-codes")
    refused = await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill())
    cabinet = f"{rig.broker}/cabinet"
    assert_page(
        refused,
        403,
        "Нужно подтверждение вторым фактором",
        f'href="{cabinet}/second-factor">Вернуться в личный кабинет',
    )
