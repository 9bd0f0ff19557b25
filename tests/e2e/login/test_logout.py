"""RP-Initiated Logout over real HTTP after a brokered login: hint, confirmation, redirects, and the
front-channel trip through ESIA's logout that ends the ESIA session too."""

from __future__ import annotations

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_ID,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
    through_esia_logout,
)
from tests.support.forms import find_form


async def esia_asks_for_the_password(rig: Rig) -> bool:
    """A new login goes to ESIA's login form (True), not straight back with a code (a live ESIA session)."""
    async with rig.spa() as client:
        url, *_ = start(rig, client)
    to_esia = await rig.browser.get(url)
    to_login = await rig.browser.get(to_esia.headers["location"])
    assert to_login.status_code == 302, to_login.text
    return not to_login.headers["location"].startswith(f"{rig.broker}/callback/")


async def test_logout_with_id_token_hint_ends_the_session_and_its_refresh_tokens(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, _, verifier = start(rig, client, scope="openid frmr offline_access")
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    assert "refresh_token" in token
    back = await rig.browser.get(
        f"{rig.broker}/logout",
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:9998/",
            "state": "after-logout",
        },
    )
    final = await through_esia_logout(rig, back)
    assert final.status_code == 302, final.text
    assert final.headers["location"] == "http://127.0.0.1:9998/?state=after-logout"
    again = await rig.browser.get(final.request.url)  # the return key works once
    assert_page(again, 200, "Вы вышли")
    refreshed = await rig.browser.post(
        f"{rig.broker}/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": SPA_ID},
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    async with rig.spa() as client:
        url, *_ = start(rig, client, prompt="none")
    assert query((await rig.browser.get(url)).headers["location"])["error"] == "login_required"
    assert await esia_asks_for_the_password(rig)


async def test_logout_without_hint_asks_for_confirmation_and_refuses_unregistered_redirects(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
        assert_code_redirect(rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state)
    refused = await rig.browser.get(
        f"{rig.broker}/logout", params={"client_id": SPA_ID, "post_logout_redirect_uri": "https://evil.test/"}
    )
    assert_page(refused, 400, "Выход не выполнен")
    confirm = await rig.browser.get(f"{rig.broker}/logout", params={"client_id": SPA_ID})
    assert_page(confirm, 200, "Выйти из ФРМР?")
    form = find_form(confirm.text, action="/logout")
    forged = await rig.browser.post(f"{rig.broker}/logout", data={**form.fill(), "csrf": "forged"})
    assert_page(forged, 200, "Выйти из ФРМР?")
    done = await through_esia_logout(rig, await rig.browser.post(f"{rig.broker}/logout", data=form.fill()))
    assert_page(done, 200, "Вы вышли")
    async with rig.spa() as client:
        url, *_ = start(rig, client, prompt="none")
    assert query((await rig.browser.get(url)).headers["location"])["error"] == "login_required"


async def test_the_return_from_the_upstream_logout_is_no_open_redirect(rig: Rig) -> None:
    for params in ({}, {"k": "made-up"}, {"k": "x" * 500}, {"k": "https://evil.test/"}):
        answer = await rig.browser.get(f"{rig.broker}/logout/upstream", params=params)
        assert_page(answer, 200, "Вы вышли")
        assert "location" not in answer.headers
