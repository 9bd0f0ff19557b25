"""Apache httpd with mod_auth_openidc logs in through the broker: a relying party nobody here wrote.

Discovery, the code flow with PKCE (S256), the ID token's and UserInfo's claims, a refresh,
RP-initiated logout and back-channel logout, all over loopback with the demo doctor's login at
the mock ESIA. The browser is an HTTP client that follows each redirect itself.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, through_esia_logout
from tests.e2e.outside import apache as httpd
from tests.e2e.outside.support import register

pytestmark = pytest.mark.skipif(httpd.missing() is not None, reason=str(httpd.missing()))


@pytest.fixture(scope="module")
async def apache(rig: Rig) -> AsyncIterator[httpd.Apache]:
    with httpd.running_apache(rig.broker) as running:
        await register(rig.database_url, running.spec())
        yield running


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def login(rig: Rig, apache: httpd.Apache) -> dict[str, str]:
    """From the protected page through the broker and the mock ESIA back to it; its claim headers."""
    rig.browser.cookies.clear()
    first = await rig.browser.get(apache.protected)
    assert first.status_code == 302, (first.text, apache.error_log())
    authorize = first.headers["location"]
    assert authorize.startswith(f"{rig.broker}/authorize?"), authorize
    params = query(authorize)
    assert params["client_id"] == apache.client_id
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"]
    back = await rig.browser.get(await rig.esia_answer(authorize, DOCTOR, DOCTOR_PASSWORD))
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith(apache.redirect_uri + "?"), back.headers["location"]
    exchanged = await rig.browser.get(back.headers["location"])
    assert exchanged.status_code == 302, (exchanged.text, apache.error_log())
    assert exchanged.headers["location"] == apache.protected
    page = await rig.browser.get(apache.protected)
    assert page.status_code == 200, (page.text, apache.error_log())
    assert "protected" in page.text
    return {c: page.headers.get(f"x-claim-{c}", "") for c in httpd.CLAIMS}


async def info(rig: Rig, apache: httpd.Apache, **extra: str) -> dict[str, Any]:
    response = await rig.browser.get(apache.redirect_uri, params={"info": "json", **extra})
    assert response.status_code == 200, (response.text, apache.error_log())
    session: dict[str, Any] = json.loads(response.text)
    return session


async def refresh_works(rig: Rig, apache: httpd.Apache, refresh_token: str) -> bool:
    response = await rig.browser.post(
        f"{rig.broker}/token", auth=(apache.client_id, apache.secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )
    assert response.status_code in (200, 400), response.text
    return response.status_code == 200


async def test_login_claims_userinfo_refresh_and_rp_initiated_logout(rig: Rig, apache: httpd.Apache) -> None:
    claims = await login(rig, apache)
    assert claims["sub"]
    assert claims["sid"]
    assert (claims["family_name"], claims["given_name"]) == ("Иванова", "Мария")
    assert claims["snils"] == "112-233-445 95"
    assert claims["frmr_person_id"]

    session = await info(rig, apache)
    assert session["userinfo"]["sub"] == claims["sub"]  # fetched from the broker's UserInfo endpoint
    assert session["userinfo"]["snils"] == claims["snils"]
    userinfo = await rig.browser.get(
        f"{rig.broker}/userinfo", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert userinfo.status_code == 200, userinfo.text

    refreshed = await info(rig, apache, access_token_refresh_interval="0")
    assert refreshed["access_token"] != session["access_token"], apache.error_log()
    assert refreshed["refresh_token"] != session["refresh_token"]  # rotated, and the module kept the new one
    again = await rig.browser.get(apache.protected)
    assert again.status_code == 200, (again.text, apache.error_log())

    to_broker = await rig.browser.get(apache.redirect_uri, params={"logout": apache.logged_out})
    assert to_broker.status_code == 302, (to_broker.text, apache.error_log())
    end_session = to_broker.headers["location"]
    assert end_session.startswith(f"{rig.broker}/logout?"), end_session
    assert query(end_session)["post_logout_redirect_uri"] == apache.logged_out
    assert query(end_session)["id_token_hint"]
    done = await through_esia_logout(rig, await rig.browser.get(end_session))  # ESIA's session ends too
    assert done.status_code == 302, done.text
    assert done.headers["location"].startswith(apache.logged_out)
    assert (await rig.browser.get(apache.protected)).status_code == 302  # Apache's session is gone
    assert not await refresh_works(rig, apache, refreshed["refresh_token"])  # and the broker's


async def test_back_channel_logout_ends_the_apache_session(rig: Rig, apache: httpd.Apache) -> None:
    await login(rig, apache)
    id_token = (await rig.browser.get(apache.protected)).headers["x-id-token"]
    session = await info(rig, apache)
    # the person logs out at the broker itself (another app's logout): Apache learns it only by back channel
    assert any(cookie.startswith("mod_auth_openidc_session") for cookie in rig.browser.cookies)
    answer = await rig.browser.get(f"{rig.broker}/logout", params={"id_token_hint": id_token})
    page = await through_esia_logout(rig, answer)
    assert page.status_code == 200, page.text
    assert "Вы вышли" in page.text
    delivered = [r for r in await rig.audit_events() if r.event_type == "logout.backchannel_delivered"]
    assert [(r.client_id, r.details["status"]) for r in delivered][-1:] == [(apache.client_id, 200)]
    assert not await refresh_works(rig, apache, session["refresh_token"])
    assert (await rig.browser.get(apache.protected)).status_code == 302  # Apache ended its session too
