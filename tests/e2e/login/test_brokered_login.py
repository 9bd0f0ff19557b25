"""The brokered login end to end over real HTTP: a hospital app (authlib) → frmr-sso → mock ESIA.

Runs on the configured backend (SQLite + memory, or PostgreSQL + Redis). The
browser is an httpx client that follows only the redirects the test asks for
and submits the real HTML forms of both servers.
"""

from __future__ import annotations

import httpx

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    NO_RECORD,
    NO_RECORD_PASSWORD,
    SPA_ID,
    SPA_REDIRECT,
    STANDARD,
    STANDARD_PASSWORD,
    WEB_ID,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    find_link,
    id_token_claims,
    params_state,
    query,
    start,
)

DOCTOR_SNILS = "112-233-445 95"


async def test_doctor_logs_in_through_esia_and_the_spa_gets_frmr_claims(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    claims = await id_token_claims(rig, token["id_token"], SPA_ID, nonce)
    assert claims["family_name"] == "Иванова"
    assert claims["snils"] == DOCTOR_SNILS
    assert claims["acr"] == "urn:frmr-sso:acr:esia-confirmed"  # password + SMS at ESIA, no broker 2FA
    assert claims["amr"] == ["pwd", "sms", "mfa"]  # RFC 8176, mapped from ESIA's "PWD SMS"
    assert claims["esia_amr"] == ["PWD", "SMS"]  # ESIA's own words, unchanged
    assert claims["frmr_person_id"] == "FRMR-0000001"
    assert {org["oid"] for org in claims["frmr_organizations"]} == {
        "1.2.643.5.1.13.13.12.2.77.7871",
        "1.2.643.5.1.13.13.12.2.77.8012",
    }
    success = [e for e in await rig.audit_events() if e.event_type == "login.success"]
    assert len(success) == 1
    assert success[0].subject_id == claims["sub"]
    assert success[0].snils_masked == "***-***-445 95"
    info = await rig.browser.get(
        f"{rig.broker}/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["frmr_person_id"] == "FRMR-0000001"


async def test_confidential_client_authenticates_with_client_secret_basic(rig: Rig) -> None:
    async with rig.web() as client:
        url, state, nonce, _ = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), WEB_REDIRECT, state
        )
        token = await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
    claims = await id_token_claims(rig, token["id_token"], WEB_ID, nonce)
    assert claims["given_name"] == "Мария"
    assert token["token_type"].lower() == "bearer"


async def test_confirmed_account_without_frmr_record_sees_the_no_data_page(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    page = await rig.esia_login(url, NO_RECORD, NO_RECORD_PASSWORD)
    assert_page(page, 403, "нет данных", "Обновить данные", "ФРМР-" + page.headers["x-request-id"])
    assert "123-456-789" not in page.text
    restart = find_link(page.text, "Обновить данные")
    assert restart.startswith(f"{rig.broker}/authorize?")
    again = await rig.browser.get(restart)
    assert again.status_code == 302
    assert again.headers["location"].startswith(rig.mock.url("/aas/oauth2/v2/ac?"))
    events = await rig.audit_events()
    failure = next(e for e in events if e.event_type == "login.no_frmr_record")
    assert failure.snils_masked == "***-***-789 64"
    assert failure.request_id == page.headers["x-request-id"]
    assert failure.ip == "127.0.0.1"
    assert failure.client_id == SPA_ID
    assert [e.event_type for e in events].count("login.started") == 2
    assert not any("123-456-789" in repr(e) or "12345678964" in repr(e) for e in events)


async def test_unconfirmed_account_sees_the_not_confirmed_page(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    page = await rig.esia_login(url, STANDARD, STANDARD_PASSWORD)
    assert_page(page, 403, "Учётная запись не подтверждена")


async def test_esia_downtime_is_a_503_page_with_retry_after(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    callback = await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    faults = await rig.browser.put(rig.mock.url("/_dev/faults"), json={"downtime": "503", "scope": ["te"]})
    assert faults.status_code == 200, faults.text
    page = await rig.browser.get(callback)
    assert_page(page, 503, "ЕСИА временно недоступна")
    assert int(page.headers["retry-after"]) >= 1


async def test_cancel_at_esia_sends_access_denied_to_the_client(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
    response = await rig.cancel_at_esia(url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(SPA_REDIRECT + "?")
    assert query(location) == {
        "error": "access_denied",
        "error_description": query(location)["error_description"],
        "state": state,
        "iss": rig.broker,
    }


async def test_tampered_state_missing_cookie_and_replay_end_on_the_stale_login_page(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    callback = await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    params = query(callback)
    forged = callback.replace(params["state"], "00000000-0000-4000-8000-000000000000")
    assert_page(await rig.browser.get(forged), 400, "Сеанс входа устарел")
    async with httpx.AsyncClient(follow_redirects=False) as other_browser:
        assert_page(await other_browser.get(callback), 400, "Сеанс входа устарел")
    assert_code_redirect(rig, await rig.browser.get(callback), SPA_REDIRECT, params_state(url))
    assert_page(await rig.browser.get(callback), 400, "Сеанс входа устарел")  # one-time


async def test_a_callback_in_a_browser_with_another_login_open_is_stale(rig: Rig) -> None:
    async with rig.spa() as client:
        url, *_ = start(rig, client)
        other_url, *_ = start(rig, client)
    callback = await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    async with httpx.AsyncClient(follow_redirects=False) as other_browser:
        assert (await other_browser.get(other_url)).status_code == 302  # its own frmr_sso_tx cookie
        assert other_browser.cookies.get("frmr_sso_tx")
        assert_page(await other_browser.get(callback), 400, "Сеанс входа устарел")


async def test_prompt_none_without_a_session_is_login_required(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, *_ = start(rig, client, prompt="none")
    response = await rig.browser.get(url)
    assert response.status_code == 302
    params = query(response.headers["location"])
    assert params["error"] == "login_required"
    assert params["state"] == state
    assert params["iss"] == rig.broker


async def test_prompt_none_with_a_session_issues_a_code_without_esia(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        assert_code_redirect(rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state)
    async with rig.web() as client:
        url, state, nonce, _ = start(rig, client, prompt="none")
        location = assert_code_redirect(rig, await rig.browser.get(url), WEB_REDIRECT, state)
        token = await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
    claims = await id_token_claims(rig, token["id_token"], WEB_ID, nonce)
    assert claims["frmr_person_id"] == "FRMR-0000001"
    async with rig.web() as client:
        url, *_ = start(rig, client, prompt="login")
    assert (await rig.browser.get(url)).headers["location"].startswith(rig.mock.base)


async def test_unknown_client_is_an_error_page_not_a_redirect(rig: Rig) -> None:
    page = await rig.browser.get(
        f"{rig.broker}/authorize",
        params={
            "client_id": "nobody",
            "redirect_uri": "https://evil.test/cb",
            "response_type": "code",
            "scope": "openid",
        },
    )
    assert_page(page, 400, "Некорректный запрос на вход")


async def test_several_upstreams_show_a_chooser_with_esia_first(rig_with_two_upstreams: Rig) -> None:
    rig = rig_with_two_upstreams
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    chooser = await rig.browser.get(url)
    assert_page(chooser, 200, "Выберите способ входа")
    assert chooser.text.index("Войти через Госуслуги") < chooser.text.index("Войти через Резервный вход")
    to_esia = await rig.browser.get(rig.broker + find_link(chooser.text, "Войти через Госуслуги"))
    assert to_esia.status_code == 302
    assert to_esia.headers["location"].startswith(rig.mock.url("/aas/oauth2/v2/ac?"))
    assert query(to_esia.headers["location"])["redirect_uri"] == f"{rig.broker}/callback/esia"
    hinted = await rig.browser.get(url + "&idp_hint=reserve")
    assert query(hinted.headers["location"])["redirect_uri"] == f"{rig.broker}/callback/reserve"
