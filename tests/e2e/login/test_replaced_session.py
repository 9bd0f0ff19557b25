"""A new login in a browser that already has an SSO session, over real HTTP: the old session ends like
any other ending — its relying party gets a back-channel logout token for the old ``sid``, its refresh
token stops working, and ``session.ended`` says a new login replaced it (``via: replaced``).

The relying party (``bcl-rp``, confidential, ``offline_access``) registers a back-channel logout URI on
loopback. Runs on the configured backend (SQLite + memory, or PostgreSQL + Redis).
"""

from __future__ import annotations

from typing import Any

import jwt
import pyotp

from frmr_sso.storage.ports import AuditRecord
from tests.e2e.login.backchannel_support import (
    RP_ID,
    RP_REDIRECT,
    RP_SECRET,
    Receiver,
    register_rp,
    rp_client,
    running_receiver,
    verify_logout_token,
)
from tests.e2e.login.second_factor_support import REGISTRAR, REGISTRAR_PASSWORD, Authenticator, enrol
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    AsyncOAuth2Client,
    Rig,
    assert_code_redirect,
    start,
)
from tests.support.esia_mock import submit

NURSE, NURSE_PASSWORD = "+79990000004", "Totp-Vrach-2026!"
NURSE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # mock_esia/data/accounts.yaml; FRMR-record 345-678-901 23



async def fetch(
    rig: Rig, client: AsyncOAuth2Client, location: str, state: str, verifier: str
) -> dict[str, Any]:
    token: dict[str, Any] = await client.fetch_token(
        f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
    )
    return token


async def doctor_at_the_rp(rig: Rig, **extra: str) -> dict[str, Any]:
    """The doctor signs in to the relying party through ESIA (SMS); its tokens."""
    async with rp_client() as client:
        url, state, _, verifier = start(rig, client, **extra)
        answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
        return await fetch(
            rig, client, assert_code_redirect(rig, answer, RP_REDIRECT, state), state, verifier
        )


def sign_out_at_esia(rig: Rig) -> None:
    """Leave the broker's cookies, drop the ESIA ones: the next person logs in at ESIA anew."""
    for cookie in [c for c in rig.browser.cookies.jar if not c.name.startswith("frmr_sso_")]:
        rig.browser.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)


def claims_of(id_token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    return claims


async def refresh(rig: Rig, token: dict[str, Any]) -> tuple[int, str | None]:
    answer = await rig.browser.post(
        f"{rig.broker}/token",
        auth=(RP_ID, RP_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    )
    return answer.status_code, answer.json().get("error")


async def assert_logged_out_for(rig: Rig, receiver: Receiver, old: dict[str, Any]) -> None:
    [token] = receiver.tokens
    claims = verify_logout_token(token, await rig.jwks(), issuer=rig.broker, audience=RP_ID)
    assert (claims["sid"], claims["sub"]) == (old["sid"], old["sub"])


async def replaced_record(rig: Rig) -> AuditRecord:
    [record] = [r for r in await rig.audit_events() if r.event_type == "session.ended"]
    return record


async def test_another_person_on_the_same_browser_ends_the_previous_persons_session(rig: Rig) -> None:
    with running_receiver() as receiver:
        await register_rp(rig.database_url, receiver.url)
        doctor_tokens = await doctor_at_the_rp(rig)
        doctor = claims_of(doctor_tokens["id_token"])
        assert receiver.received == []

        sign_out_at_esia(rig)
        async with rp_client() as client:
            url, state, _, verifier = start(rig, client, prompt="login")
            page = await rig.to_esia_login_page(url)
            answer = await submit(rig.browser, rig.mock, page, "/login", login=NURSE, password=NURSE_PASSWORD)
            assert answer.status_code == 200, answer.text
            code = pyotp.TOTP(NURSE_TOTP).now()
            answer = await submit(rig.browser, rig.mock, answer, "/login/code", code=code)
            callback = await rig.back_to_broker(answer)
            nurse_tokens = await fetch(
                rig, client, assert_code_redirect(rig, callback, RP_REDIRECT, state), state, verifier
            )
        nurse = claims_of(nurse_tokens["id_token"])
        assert nurse["sub"] != doctor["sub"]
        await assert_logged_out_for(rig, receiver, doctor)

    assert await refresh(rig, doctor_tokens) == (400, "invalid_grant")
    assert (await refresh(rig, nurse_tokens))[0] == 200
    record = await replaced_record(rig)
    assert record.subject_id == doctor["sub"]
    assert {k: record.details[k] for k in ("session", "by", "via", "replaced_by", "clients")} == {
        "session": doctor["sid"],
        "by": nurse["sub"],
        "via": "replaced",
        "replaced_by": nurse["sid"],
        "clients": [RP_ID],
    }
    assert record.details["refresh_families"] == 1
    [success] = [r for r in await rig.audit_events() if r.event_type == "login.success"][-1:]
    assert (success.subject_id, success.details["replaced"]) == (nurse["sub"], doctor["sid"])


async def test_the_same_person_logging_in_again_ends_the_old_sid_everywhere(rig: Rig) -> None:
    with running_receiver() as receiver:
        await register_rp(rig.database_url, receiver.url)
        before = await doctor_at_the_rp(rig)
        sign_out_at_esia(rig)
        after = await doctor_at_the_rp(rig, prompt="login")
        old, new = claims_of(before["id_token"]), claims_of(after["id_token"])
        assert old["sub"] == new["sub"]
        assert old["sid"] != new["sid"]
        await assert_logged_out_for(rig, receiver, old)
    assert await refresh(rig, before) == (400, "invalid_grant")
    assert (await refresh(rig, after))[0] == 200
    record = await replaced_record(rig)
    assert (record.subject_id, record.details["session"], record.details["by"]) == (
        old["sub"],
        old["sid"],
        old["sub"],
    )
    assert (record.details["via"], record.details["replaced_by"]) == ("replaced", new["sid"])


async def test_a_login_with_the_second_factor_ends_the_previous_session_only_once_the_code_is_right(
    rig: Rig,
) -> None:
    with running_receiver() as receiver:
        await register_rp(rig.database_url, receiver.url)
        doctor_tokens = await doctor_at_the_rp(rig)
        doctor = claims_of(doctor_tokens["id_token"])
        sign_out_at_esia(rig)
        async with rp_client() as client:
            url, state, _, verifier = start(rig, client, prompt="login")
            parked = await rig.esia_login(url, REGISTRAR, REGISTRAR_PASSWORD)  # → /login/2fa
            assert receiver.received == []  # the doctor's session lives until the code is right
            assert "session.ended" not in [r.event_type for r in await rig.audit_events()]
            done = await enrol(rig, parked, Authenticator())
            registrar_tokens = await fetch(
                rig, client, assert_code_redirect(rig, done, RP_REDIRECT, state), state, verifier
            )
        registrar = claims_of(registrar_tokens["id_token"])
        assert registrar["acr"].endswith("+mfa")
        await assert_logged_out_for(rig, receiver, doctor)
    assert await refresh(rig, doctor_tokens) == (400, "invalid_grant")
    record = await replaced_record(rig)
    assert (record.subject_id, record.details["by"]) == (doctor["sub"], registrar["sub"])
    assert (record.details["via"], record.details["replaced_by"]) == ("replaced", registrar["sid"])
