"""Attacks on a real brokered login (broker + ESIA mock): what they leave in the session and audit log.

attack                                      answer                                 state after it
callback with another login's state         400 «Сеанс входа устарел»,             no session cookie; the
                                            login.stale_transaction                real callback completes
callback replayed after it completed        400 stale page, stale_transaction      no second code
forged id_token_hint at /logout (alg none,  400 page, logout.refused               the SSO session lives on
  HS256 with the public key, foreign keys)
refresh token of a public client reused     400 invalid_grant, token.refused       family revoked, the SSO
  outside the grace window                  (session_ended: true)                  session ended
the same by a confidential client           400 invalid_grant, token.refused       that family revoked, the
                                                                                   SSO session lives on
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_ID,
    SPA_REDIRECT,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
)
from tests.e2e.security.support import forgeries, offline_spa, offline_web
from tests.e2e.web.provider import basic
from tests.support.log_capture import remember

STALE = "Сеанс входа устарел"


async def log_in(rig: Rig, *, public: bool = False) -> dict[str, Any]:
    """A full ESIA login of the demo doctor for demo-web (or demo-spa) with offline_access; its tokens."""
    async with offline_spa() if public else offline_web() as client:
        url, state, _, verifier = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT if public else WEB_REDIRECT,
            state,
        )
        remember(query(location)["code"])
        token: dict[str, Any] = dict(
            await client.fetch_token(
                f"{rig.broker}/token", authorization_response=location, state=state,
                **({"code_verifier": verifier} if public else {}),
            )
        )
    remember(token.get("access_token"), token.get("refresh_token"), token.get("id_token"))
    return token


async def session_alive(rig: Rig) -> bool:
    """``prompt=none``: a code means the browser's SSO session is alive, login_required that it is not."""
    async with rig.spa() as client:
        url, *_ = start(rig, client, prompt="none")
    answer = await rig.browser.get(url)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(SPA_REDIRECT + "?")
    params = query(answer.headers["location"])
    remember(params.get("code"))
    return "code" in params


async def record_of(rig: Rig, response: httpx.Response) -> Any:
    [record] = [e for e in await rig.audit_events() if e.request_id == response.headers["x-request-id"]]
    return record


async def test_a_foreign_state_and_a_replayed_callback_leave_no_session(rig: Rig) -> None:
    async with rig.spa() as client:
        url, state, *_ = start(rig, client)
    callback = await rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    remember(query(callback)["code"])
    forged = callback.replace(query(callback)["state"], "00000000-0000-4000-8000-000000000000")
    refused = await rig.browser.get(forged)
    assert_page(refused, 400, STALE)
    assert "set-cookie" not in refused.headers
    record = await record_of(rig, refused)
    assert (record.event_type, record.outcome, record.details["connector"]) == (
        "login.stale_transaction",
        "failure",
        "esia",
    )
    assert not await session_alive(rig)

    done = await rig.browser.get(callback)
    assert_code_redirect(rig, done, SPA_REDIRECT, state)
    remember(query(done.headers["location"])["code"])
    replayed = await rig.browser.get(callback)
    assert_page(replayed, 400, STALE)
    assert "location" not in replayed.headers
    assert "set-cookie" not in replayed.headers
    assert (await record_of(rig, replayed)).event_type == "login.stale_transaction"
    events = [e.event_type for e in await rig.audit_events()]
    assert events.count("login.success") == 1


@pytest.mark.parametrize(
    "attack", ["alg-none", "hs256-with-the-public-key", "known-kid-foreign-key", "unknown-kid"]
)
async def test_a_forged_id_token_hint_ends_no_session(rig: Rig, attack: str) -> None:
    tokens = await log_in(rig)
    keys = (await rig.browser.get(f"{rig.broker}/jwks")).json()
    forged = forgeries(tokens["id_token"], keys)[attack]
    answer = await rig.browser.get(f"{rig.broker}/logout", params={"id_token_hint": forged})
    assert_page(answer, 400)
    assert "location" not in answer.headers
    assert "frmr_sso_session" not in answer.headers.get("set-cookie", "")
    record = await record_of(rig, answer)
    assert (record.event_type, record.outcome) == ("logout.refused", "failure")
    assert await session_alive(rig)


@pytest.mark.parametrize("public", [True, False], ids=["public", "confidential"])
async def test_refresh_token_reuse_revokes_the_family_and_a_public_client_s_ends_the_session(
    rig: Rig, public: bool
) -> None:
    first = (await log_in(rig, public=public))["refresh_token"]
    auth = {} if public else basic(WEB_ID, WEB_SECRET)
    client_id = SPA_ID if public else WEB_ID
    extra = {"client_id": SPA_ID} if public else {}

    async def refresh(token: str) -> httpx.Response:
        answer = await rig.browser.post(
            f"{rig.broker}/token",
            data={"grant_type": "refresh_token", "refresh_token": token, **extra},
            headers=auth,
        )
        if answer.status_code == 200:
            remember(
                answer.json()["refresh_token"], answer.json()["access_token"], answer.json().get("id_token")
            )
        return answer

    second = (await refresh(first)).json()["refresh_token"]
    third = (await refresh(second)).json()["refresh_token"]
    assert await session_alive(rig)
    reuse = await refresh(first)
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    refusals = [e for e in await rig.audit_events() if e.request_id == reuse.headers["x-request-id"]]
    [refused] = [e for e in refusals if e.event_type == "token.refused"]
    assert refused.client_id == client_id
    assert (await refresh(third)).json()["error"] == "invalid_grant"  # the family is revoked either way
    ended = [e for e in refusals if e.event_type == "session.ended"]
    if not public:  # a confidential client authenticated: only its own family goes
        assert "session_ended" not in refused.details
        assert ended == []
        assert await session_alive(rig)
        return
    assert refused.details["session_ended"] is True
    [end] = ended
    assert (end.details["by"], end.details["via"]) == ("refresh_reuse", "token")
    assert SPA_ID in end.details["clients"]
    assert not await session_alive(rig)
