"""Consent to a third-party client over HTTP: the page, allow, deny, prompt values, revoke by the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
)
from tests.e2e.login.test_sessions import login
from tests.support.forms import HtmlForm, parse_forms

PARTNER_ID, PARTNER_SECRET = "demo-partner", "demo-partner-secret"
PARTNER_REDIRECT = "http://127.0.0.1:9997/callback"
PARTNER_NAME = "Демо: стороннее приложение"
NARROW = "openid profile frmr offline_access"
WIDE = NARROW + " snils"


def partner(rig: Rig, scope: str) -> Any:
    from tests.e2e.login.support import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=PARTNER_ID, client_secret=PARTNER_SECRET, redirect_uri=PARTNER_REDIRECT, scope=scope,
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic",
    )


def consent_form(page: httpx.Response) -> HtmlForm:
    [form] = [f for f in parse_forms(page.text) if f.action == "/login/consent"]
    return form


async def to_consent_page(rig: Rig, answer: httpx.Response) -> httpx.Response:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{rig.broker}/login/consent?id="), location
    page = await rig.browser.get(location)
    assert_page(page, 200, "Разрешить доступ приложению?", PARTNER_NAME, "Разрешить", "Отказать")
    return page


async def authorize(rig: Rig, scope: str, **extra: str) -> tuple[httpx.Response, str, str]:
    """``/authorize`` of the partner in a browser with an SSO session: (answer, state, code_verifier)."""
    async with partner(rig, scope) as client:
        url, state, _, verifier = start(rig, client, scope=scope, **extra)
    return await rig.browser.get(url), state, verifier


async def tokens(rig: Rig, location: str, state: str, verifier: str, scope: str) -> dict[str, str]:
    async with partner(rig, scope) as client:
        token: dict[str, str] = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    return token


async def refresh_status(rig: Rig, token: dict[str, str]) -> int:
    answer = await rig.browser.post(
        f"{rig.broker}/token", auth=(PARTNER_ID, PARTNER_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    )
    return answer.status_code


async def test_a_third_party_client_asks_once_and_the_person_allows_refuses_and_revokes(
    rig: Rig, second: Rig
) -> None:
    async with partner(rig, NARROW) as client:
        url, state, _, verifier = start(rig, client, scope=NARROW)
    page = await to_consent_page(rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD))
    for text in ("Сведения о квалификации из ФРМР", "Личные данные", "Доступ без вашего участия"):
        assert text in page.text
    assert "СНИЛС" not in page.text.split("data-scopes", 1)[1].split("</ul>", 1)[0]  # not requested
    elsewhere = await second.browser.get(str(page.url))  # the page belongs to this browser's session
    assert_page(elsewhere, 400)
    assert "Разрешить" not in elsewhere.text
    for bad in ("", "x", "../" * 10, "a" * 300):
        assert_page(await rig.browser.get(f"{rig.broker}/login/consent", params={"id": bad}), 400)
    form = consent_form(page)
    forged = await rig.browser.post(f"{rig.broker}/login/consent", data={**form.fill(), "csrf": "0" * 64})
    assert_page(forged, 400)
    allowed = await rig.browser.post(f"{rig.broker}/login/consent", data={**form.fill(), "decision": "allow"})
    location = assert_code_redirect(rig, allowed, PARTNER_REDIRECT, state)
    granted = await tokens(rig, location, state, verifier, NARROW)
    assert set(granted["scope"].split()) == set(NARROW.split())
    again = await rig.browser.post(f"{rig.broker}/login/consent", data={**form.fill(), "decision": "allow"})
    assert_page(again, 400)  # one answer per page

    subset, state, _ = await authorize(rig, "openid frmr")
    assert_code_redirect(rig, subset, PARTNER_REDIRECT, state)  # within the consent: no page
    silent, state, _ = await authorize(rig, WIDE, prompt="none")
    assert query(silent.headers["location"]) == {
        "error": "consent_required", "error_description": "the person has not consented to this client",
        "state": state, "iss": rig.broker,
    }
    asked, state, _ = await authorize(rig, "openid frmr", prompt="consent")
    answer = {**consent_form(await to_consent_page(rig, asked)).fill(), "decision": "deny"}
    refused = await rig.browser.post(f"{rig.broker}/login/consent", data=answer)
    assert refused.status_code == 302
    assert refused.headers["location"].startswith(PARTNER_REDIRECT + "?")
    denied = query(refused.headers["location"])
    assert (denied["error"], denied["state"], denied["iss"]) == ("access_denied", state, rig.broker)
    assert "code" not in denied
    wider, state, _ = await authorize(rig, WIDE)
    page = await to_consent_page(rig, wider)  # a wider set asks again
    assert "номер СНИЛС" in page.text
    answer = {**consent_form(page).fill(), "decision": "allow"}
    allowed = await rig.browser.post(f"{rig.broker}/login/consent", data=answer)
    assert_code_redirect(rig, allowed, PARTNER_REDIRECT, state)
    assert (await authorize(rig, WIDE, prompt="none"))[0].headers["location"].count("code=") == 1

    mine = await login(second, user_agent="Cabinet", cabinet=True, scope="openid account.consents")
    api, bearer = f"{rig.broker}/api/v1/me/consents", {"Authorization": f"Bearer {mine['access_token']}"}
    listed = await rig.browser.get(api, headers=bearer)
    assert listed.status_code == 200, listed.text
    [consent] = listed.json()["consents"]  # the cabinet is first-party: never asked, never listed
    assert (consent["client_id"], consent["client_name"]) == (PARTNER_ID, PARTNER_NAME)
    assert set(consent["scopes"]) == set(WIDE.split())
    assert await refresh_status(rig, granted) == 200
    third_party = {"Authorization": f"Bearer {granted['access_token']}"}
    no_scope = await rig.browser.get(api, headers=third_party)
    assert no_scope.status_code in (401, 403)
    assert no_scope.headers["content-type"] == "application/problem+json"
    assert (await rig.browser.delete(f"{api}/{PARTNER_ID}", headers=bearer)).status_code == 204
    assert await refresh_status(rig, granted) == 400  # the client's refresh tokens went with the consent
    assert (await rig.browser.get(api, headers=bearer)).json() == {"consents": []}
    missing = await rig.browser.delete(f"{api}/{PARTNER_ID}", headers=bearer)
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    after, state, _ = await authorize(rig, "openid", prompt="none")
    assert query(after.headers["location"])["error"] == "consent_required"

    events = [r.event_type for r in await rig.audit_events() if r.event_type.startswith("consent.")]
    assert events.count("consent.requested") == 3
    assert events.count("consent.granted") == 2
    assert events.count("consent.denied") == 1
    assert events.count("consent.required") == 2
    assert events.count("consent.revoked") == 1
    signed_in = [r.event_type for r in await rig.audit_events() if r.client_id == PARTNER_ID]
    # the history's sign-ins: the login itself, then the live session's three codes (one after consent)
    assert (signed_in.count("login.success"), signed_in.count("login.sso_session")) == (1, 3)
    revoked = next(r for r in await rig.audit_events() if r.event_type == "consent.revoked")
    assert (revoked.client_id, revoked.details["refresh_families"]) == (PARTNER_ID, 1)
