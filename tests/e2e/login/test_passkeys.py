"""Passkeys over real HTTP with a software authenticator: the login's forms, the account pages and their
refusals, lockout of refused assertions, and the administrator's reset. The relying party is the
broker's issuer host (``127.0.0.1`` here: a browser would refuse it, the software authenticator does not).

Runs on the configured backend (SQLite + memory, or PostgreSQL + Redis).
"""

from __future__ import annotations

import re
from html import unescape

import httpx

from frmr_sso.oauth.client_specs import ClientSpec
from tests.e2e.login.second_factor_support import REGISTRAR, REGISTRAR_PASSWORD, open_page
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    start,
)
from tests.e2e.login.test_second_factor_policy import ADMIN_ID, ADMIN_SECRET, _admin_token, _register
from tests.support.forms import HtmlForm, find_form, parse_forms
from tests.support.soft_authenticator import SoftAuthenticator

ACCOUNT = "/account/2fa/passkeys"


def _passkey_form(page: httpx.Response) -> tuple[HtmlForm, str]:
    """The page's passkey form and the options its script would hand to the browser."""
    options = re.search(r'data-options="([^"]*)"', page.text)
    assert options is not None, page.text
    return find_form(page.text, field="credential"), unescape(options.group(1))


async def _post_passkey(
    rig: Rig, page: httpx.Response, device: SoftAuthenticator, **fields: str
) -> httpx.Response:
    form, options = _passkey_form(page)
    answer = device.create(options) if '"rp"' in options else device.get(options)
    return await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill(credential=answer, **fields))


async def _login(rig: Rig, login: str, password: str) -> tuple[httpx.Response, str]:
    """Up to the broker's answer to the callback; the client's state."""
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        return await rig.esia_login(url, login, password), state


async def test_enrol_at_login_manage_on_the_account_page_and_refusals(rig: Rig) -> None:
    assert_page(await rig.browser.get(f"{rig.broker}{ACCOUNT}"), 401, "Вы не вошли")
    laptop = SoftAuthenticator(rig.broker)
    callback, state = await _login(rig, REGISTRAR, REGISTRAR_PASSWORD)
    page = await open_page(rig, callback)
    assert "ключ доступа" in page.text
    assert page.headers["content-security-policy"].endswith("; script-src 'self'")
    assert '<script src="/static/passkeys.js" defer></script>' in page.text
    done = await _post_passkey(rig, page, laptop, name="Ноутбук")
    assert_code_redirect(rig, done, SPA_REDIRECT, state)

    listed = await rig.browser.get(f"{rig.broker}{ACCOUNT}")
    assert_page(listed, 200, "Ноутбук", "Ключ доступа: отпечаток пальца, лицо или PIN-код устройства")
    forged = find_form(listed.text, field="credential").fill(csrf="forged", credential="{}")
    assert_page(await rig.browser.post(f"{rig.broker}{ACCOUNT}", data=forged), 400, "Форма устарела")
    added = await _post_passkey(rig, listed, SoftAuthenticator(rig.broker), name="USB-ключ")
    assert_page(added, 200, "Ключ доступа подключён.", "Ноутбук", "USB-ключ")
    # The first showing's challenge again: the page issued a new one since, so the answer does not verify.
    replayed = await _post_passkey(rig, listed, SoftAuthenticator(rig.broker))
    assert_page(replayed, 400, "Не удалось подключить ключ доступа")
    remove = next(f for f in parse_forms(added.text) if f.action == f"{ACCOUNT}/remove")  # the first one
    removed = await rig.browser.post(f"{rig.broker}{remove.action}", data=remove.fill())
    assert_page(removed, 200, "Ключ доступа удалён.", "USB-ключ")
    assert "Ноутбук" not in removed.text
    script = await rig.browser.get(f"{rig.broker}/static/passkeys.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "navigator.credentials" in script.text


async def test_a_session_without_the_factor_may_not_change_passkeys(rig: Rig) -> None:
    callback, state = await _login(rig, DOCTOR, DOCTOR_PASSWORD)  # no second factor asked
    assert_code_redirect(rig, callback, SPA_REDIRECT, state)
    page = await rig.browser.get(f"{rig.broker}{ACCOUNT}")
    assert_page(page, 200, "Ключей доступа пока нет")
    added = await _post_passkey(rig, page, SoftAuthenticator(rig.broker), name="Телефон")
    assert_page(added, 200, "Ключ доступа подключён.")
    # Now the doctor has a factor that this session did not pass: no more changes from it.
    assert_page(await rig.browser.get(f"{rig.broker}{ACCOUNT}"), 403, "Нужно подтверждение вторым фактором")
    assert_page(
        await rig.browser.get(f"{rig.broker}/account/2fa"), 403, "Нужно подтверждение вторым фактором"
    )


async def test_refused_assertions_lock_the_person_and_the_reset_removes_passkeys(rig: Rig) -> None:
    device = SoftAuthenticator(rig.broker)
    callback, _ = await _login(rig, REGISTRAR, REGISTRAR_PASSWORD)
    await _post_passkey(rig, await open_page(rig, callback), device, name="Ноутбук")
    rig.browser.cookies.clear()
    callback, _ = await _login(rig, REGISTRAR, REGISTRAR_PASSWORD)
    page = await open_page(rig, callback)
    assert 'name="code"' not in page.text  # a passkey only: no code form
    stranger = SoftAuthenticator(rig.broker, credential_id=device.credential_id)  # another key, same id
    statuses = []
    for _ in range(6):
        answer = await _post_passkey(rig, page, stranger)
        statuses.append(answer.status_code)
        if 'data-passkey="get"' in answer.text:
            page = answer
    # Counted as wrong TOTP codes are: the fifth failure (FRMR_SSO_LOCKOUT_MAX_FAILURES) locks.
    assert statuses == [400, 400, 400, 400, 429, 429]
    assert "Retry-After" in answer.headers
    events = await rig.audit_events()
    reasons = [e.details["reason"] for e in events if e.event_type == "second_factor.passkey_rejected"]
    assert reasons == ["wrong"] * 5 + ["locked"]
    assert [e.event_type for e in events].count("subject.locked") == 1

    await _register(
        rig,
        ClientSpec(
            client_id=ADMIN_ID, name="Администратор", secret=ADMIN_SECRET,
            grant_types=("client_credentials",), scopes=("admin",),
        ),
    )  # fmt: skip
    subject = next(e.subject_id for e in events if e.event_type == "subject.locked")
    headers = {"Authorization": f"Bearer {await _admin_token(rig)}"}
    done = await rig.browser.post(
        f"{rig.broker}/api/v1/admin/second-factor/reset", json={"subject": subject}, headers=headers
    )
    assert done.json() == {"subject": subject, "was_enrolled": True}
    [reset] = [e for e in await rig.audit_events() if e.event_type == "second_factor.reset"]
    assert reset.details["passkeys_removed"] == 1
