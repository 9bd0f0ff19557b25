"""A person's sessions over real HTTP: the /account/sessions page and the /api/v1/me/sessions API."""

from __future__ import annotations

import httpx

from tests.e2e.login.support import (
    CABINET_ID,
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_ID,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
)
from tests.support.forms import HtmlForm, parse_forms

PAGE = "/account/sessions"
SCOPE = "openid frmr offline_access"


async def login(rig: Rig, *, user_agent: str, cabinet: bool = False, scope: str = SCOPE) -> dict[str, str]:
    """A brokered login of the SPA (or the first-party cabinet) in ``rig``'s browser; its tokens."""
    rig.browser.headers["user-agent"] = user_agent
    async with rig.cabinet(scope) if cabinet else rig.spa() as client:
        url, state, _, verifier = start(rig, client, scope=scope)
        redirect = f"{rig.broker}/cabinet/callback" if cabinet else SPA_REDIRECT
        answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
        location = assert_code_redirect(rig, answer, redirect, state)
        token: dict[str, str] = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    return token


def end_form(page: httpx.Response, *, current: bool) -> HtmlForm:
    forms = [f for f in parse_forms(page.text) if f.action == PAGE + "/end"]
    marked = [f for f in forms if ('data-session="' + f.hidden["sid"] + '"') in page.text]
    assert len(marked) == len(forms)
    this = "Этот браузер"
    chosen = [f for f in forms if (this in _item(page.text, f.hidden["sid"])) is current]
    assert len(chosen) == 1, [f.hidden for f in forms]
    return chosen[0]


def _item(html: str, sid: str) -> str:
    start = html.index(f'data-session="{sid}"')
    return html[start : html.index("</li>", start)]


FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


async def still_signed_in(rig: Rig) -> bool:
    async with rig.spa() as client:
        url, *_ = start(rig, client, prompt="none")
    return "code" in query((await rig.browser.get(url)).headers["location"])


async def refresh_works(rig: Rig, token: dict[str, str]) -> bool:
    answer = await rig.browser.post(
        f"{rig.broker}/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": SPA_ID},
    )
    return answer.status_code == 200


async def test_the_page_lists_both_browsers_and_ends_the_other_one(rig: Rig, second: Rig) -> None:
    anonymous = await second.browser.get(f"{rig.broker}{PAGE}")
    assert_page(anonymous, 401, "Вы не вошли")
    await login(rig, user_agent=FIREFOX)
    other_tokens = await login(second, user_agent=IPHONE)
    page = await rig.browser.get(f"{rig.broker}{PAGE}")
    assert_page(
        page, 200, "Ваши сеансы входа", "Firefox 133, Ubuntu", "Mobile Safari 17, iOS 17.1", "127.0.0.1",
        "через Госуслуги", "МСК",
    )
    assert "Mozilla" not in page.text  # names from the User-Agent, never the raw header
    assert "Демо: одностраничное приложение (PKCE)" in page.text
    assert page.text.count('action="/account/sessions/end"') == 2
    other = end_form(page, current=False)
    forged = await rig.browser.post(f"{rig.broker}{PAGE}/end", data={**other.fill(), "csrf": "0" * 64})
    assert_page(forged, 400, "Запрос отклонён")
    foreign_csrf = end_form(await second.browser.get(f"{rig.broker}{PAGE}"), current=True).hidden["csrf"]
    cross = await rig.browser.post(f"{rig.broker}{PAGE}/end", data={**other.fill(), "csrf": foreign_csrf})
    assert_page(cross, 400, "Запрос отклонён")
    assert await still_signed_in(second)
    done = await rig.browser.post(f"{rig.broker}{PAGE}/end", data=other.fill())
    assert done.status_code == 303
    assert done.headers["location"] == PAGE + "?done=one"
    after = await rig.browser.get(f"{rig.broker}{done.headers['location']}")
    assert_page(after, 200, "Сеанс завершён.")
    assert "iOS 17.1" not in after.text
    assert not await still_signed_in(second)
    assert not await refresh_works(second, other_tokens)
    again = await rig.browser.post(f"{rig.broker}{PAGE}/end", data=other.fill())
    assert_page(again, 404, "Сеанс не найден")
    events = [(r.event_type, r.details.get("reason")) for r in await rig.audit_events()]
    assert events.count(("session.end_refused", "csrf token missing or wrong")) == 2
    assert events.count(("session.end_refused", "not a live session of the subject")) == 1
    assert events.count(("session.ended", None)) == 1


async def test_ending_the_current_session_signs_this_browser_out(rig: Rig, second: Rig) -> None:
    await login(rig, user_agent=FIREFOX)
    await login(second, user_agent=IPHONE)
    page = await rig.browser.get(f"{rig.broker}{PAGE}")
    others = [f for f in parse_forms(page.text) if f.action == PAGE + "/end-others"]
    assert len(others) == 1
    done = await rig.browser.post(f"{rig.broker}{PAGE}/end-others", data=others[0].fill())
    assert done.status_code == 303
    assert not await still_signed_in(second)
    assert await still_signed_in(rig)
    page = await rig.browser.get(f"{rig.broker}{PAGE}")
    assert "Завершить все, кроме текущего" not in page.text
    out = await rig.browser.post(f"{rig.broker}{PAGE}/end", data=end_form(page, current=True).fill())
    assert out.status_code == 303  # this browser's ESIA session ends too, then «Вы вышли»
    assert out.headers["location"].startswith(rig.mock.url("/idp/ext/Logout?"))
    assert 'frmr_sso_session=""' in out.headers["set-cookie"]
    back = await rig.browser.get(out.headers["location"], follow_redirects=True)
    assert_page(back, 200, "Вы вышли")
    assert back.url.path == "/logout/upstream"
    assert not await still_signed_in(rig)


async def test_the_api_lists_and_ends_sessions_with_the_persons_access_token(rig: Rig, second: Rig) -> None:
    mine = await login(rig, user_agent="Cabinet-Browser", cabinet=True, scope=SCOPE + " account.sessions")
    assert "account.sessions" in mine["scope"].split()
    theirs = await login(second, user_agent="Other-Browser")
    api = f"{rig.broker}/api/v1/me/sessions"
    bearer = {"Authorization": f"Bearer {mine['access_token']}"}
    listed = await rig.browser.get(api, headers=bearer)
    assert listed.status_code == 200, listed.text
    assert listed.headers["cache-control"] == "no-store"
    sessions = listed.json()["sessions"]
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert [s["user_agent"] for s in current] == ["Cabinet-Browser"]
    other = next(s for s in sessions if not s["current"])
    assert other["clients"] == [{"client_id": SPA_ID, "name": "Демо: одностраничное приложение (PKCE)"}]
    assert [c["client_id"] for c in current[0]["clients"]] == [CABINET_ID]
    missing = await rig.browser.delete(f"{api}/00000000-0000-0000-0000-000000000000", headers=bearer)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    anonymous = await rig.browser.delete(f"{api}/{other['id']}")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    forged = await rig.browser.get(api, headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    service = await rig.browser.post(
        f"{rig.broker}/token",
        auth=("demo-service", "demo-service-secret"),
        data={"grant_type": "client_credentials", "scope": "frmr"},
    )
    machine = {"Authorization": f"Bearer {service.json()['access_token']}"}
    assert (await rig.browser.get(api, headers=machine)).status_code == 403
    assert await still_signed_in(second)
    ended = await rig.browser.delete(f"{api}/{other['id']}", headers=bearer)
    assert ended.status_code == 204
    assert not await still_signed_in(second)
    assert not await refresh_works(second, theirs)
    assert [s["id"] for s in (await rig.browser.get(api, headers=bearer)).json()["sessions"]] == [
        current[0]["id"]
    ]
    refused = [r for r in await rig.audit_events() if r.event_type == "session.end_refused"]
    assert [r.details["via"] for r in refused] == ["api"]


async def test_each_login_rotates_the_session_cookie_and_the_old_one_is_dead(rig: Rig) -> None:
    async def login_cookie(**extra: str) -> str:
        async with rig.spa() as client:
            url, state, *_ = start(rig, client, **extra)
            answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
        assert_code_redirect(rig, answer, SPA_REDIRECT, state)
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("frmr_sso_session="))
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/"} <= attributes
        assert "secure" not in attributes  # the plain-http demo issuer; https issuers get Secure
        return cookie.split(";")[0].split("=", 1)[1]

    first = await login_cookie()
    for cookie in [c for c in rig.browser.cookies.jar if not c.name.startswith("frmr_sso_")]:
        rig.browser.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)  # sign out at ESIA only
    assert rig.browser.cookies.get("frmr_sso_session") == first
    second = await login_cookie(prompt="login")
    assert first != second
    assert first.split(".")[0] != second.split(".")[0]
    for value, status, text in ((first, 401, "Вы не вошли"), (second, 200, "Этот браузер")):
        async with httpx.AsyncClient(timeout=30, cookies={"frmr_sso_session": value}) as holder:
            assert_page(await holder.get(f"{rig.broker}{PAGE}"), status, text)


async def test_only_a_first_party_clients_token_reaches_the_sessions_api(rig: Rig, second: Rig) -> None:
    """A third-party app's openid token (even one asking for account.sessions) gets 403 insufficient_scope."""
    cabinet = await login(rig, user_agent="Cabinet-Browser", cabinet=True, scope=SCOPE + " account.sessions")
    spa = await login(second, user_agent="SPA-Browser", scope=SCOPE + " account.sessions")
    assert "account.sessions" not in spa["scope"].split()  # never granted to a client that is not first-party
    api = f"{rig.broker}/api/v1/me/sessions"
    listed = await rig.browser.get(api, headers={"Authorization": f"Bearer {cabinet['access_token']}"})
    cabinet_session = next(s for s in listed.json()["sessions"] if s["current"])
    spa_bearer = {"Authorization": f"Bearer {spa['access_token']}"}
    for refused in (
        await second.browser.get(api, headers=spa_bearer),
        await second.browser.delete(f"{api}/{cabinet_session['id']}", headers=spa_bearer),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "insufficient_scope"
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert await still_signed_in(rig)  # the cabinet's session lives on
