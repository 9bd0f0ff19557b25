"""OIDC Back-Channel Logout over real HTTP: a relying party on loopback receives the logout token."""

from __future__ import annotations

import httpx
import jwt

from frmr_sso.login.backchannel import BACKCHANNEL_EVENT
from tests.e2e.login.backchannel_support import (
    RP_ID,
    RP_REDIRECT,
    RP_SECRET,
    register_rp,
    rp_client,
    running_receiver,
    verify_logout_token,
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


async def login_rp_and_spa(rig: Rig) -> dict[str, str]:
    """The RP's tokens after a login; the SPA then gets a code from the same SSO session."""
    async with rp_client() as client:
        url, state, _, verifier = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), RP_REDIRECT, state
        )
        token: dict[str, str] = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    async with rig.spa() as spa:
        url, state, *_ = start(rig, spa)
        assert_code_redirect(rig, await rig.browser.get(url), SPA_REDIRECT, state)
    return token


async def logout_through_esia(rig: Rig, id_token: str) -> httpx.Response:
    """RP-initiated logout with the hint, through ESIA's logout and back to the broker's last page."""
    return await rig.browser.get(
        f"{rig.broker}/logout", params={"id_token_hint": id_token}, follow_redirects=True
    )


async def test_rp_initiated_logout_sends_a_verifiable_logout_token_to_the_registered_client(rig: Rig) -> None:
    with running_receiver() as receiver:
        await register_rp(rig.database_url, receiver.url)
        token = await login_rp_and_spa(rig)
        hint = jwt.decode(token["id_token"], options={"verify_signature": False})
        page = await logout_through_esia(rig, token["id_token"])
        assert_page(page, 200, "Вы вышли")
        assert len(receiver.received) == 1  # the SPA registered no back-channel URI
        assert receiver.received[0]["content_type"].startswith("application/x-www-form-urlencoded")
        claims = verify_logout_token(receiver.tokens[0], await rig.jwks(), issuer=rig.broker, audience=RP_ID)
    assert claims["sub"] == hint["sub"]
    assert claims["sid"] == hint["sid"]
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert isinstance(claims["jti"], str)
    assert claims["jti"]
    refreshed = await rig.browser.post(
        f"{rig.broker}/token",
        auth=(RP_ID, RP_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    delivered = [r for r in await rig.audit_events() if r.event_type == "logout.backchannel_delivered"]
    assert [(r.client_id, r.subject_id, r.details["session"], r.details["status"]) for r in delivered] == [
        (RP_ID, hint["sub"], hint["sid"], 200)
    ]
    assert receiver.tokens[0] not in str([(r.details, r.user_agent) for r in await rig.audit_events()])


async def test_a_failing_receiver_is_audited_and_does_not_stop_the_logout(rig: Rig) -> None:
    with running_receiver() as receiver:
        receiver.status = 500
        await register_rp(rig.database_url, receiver.url)
        token = await login_rp_and_spa(rig)
        page = await logout_through_esia(rig, token["id_token"])
        assert_page(page, 200, "Вы вышли")
        assert len(receiver.received) == 1
    failed = [r for r in await rig.audit_events() if r.event_type == "logout.backchannel_failed"]
    assert [(r.client_id, r.outcome, r.details["status"]) for r in failed] == [(RP_ID, "failure", 500)]


async def test_an_unreachable_receiver_is_audited_and_the_logout_page_still_comes(rig: Rig) -> None:
    with running_receiver() as receiver:
        gone = receiver.url
    await register_rp(rig.database_url, gone)  # nothing listens there any more
    token = await login_rp_and_spa(rig)
    page = await logout_through_esia(rig, token["id_token"])
    assert_page(page, 200, "Вы вышли")
    failed = [r for r in await rig.audit_events() if r.event_type == "logout.backchannel_failed"]
    assert [(r.client_id, r.details["error"]) for r in failed] == [(RP_ID, "ConnectError")]
