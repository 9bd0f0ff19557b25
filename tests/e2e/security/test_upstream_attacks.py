"""Hostile upstream answers at the broker's callback (OIDC Core §3.1.3.7, RFC 9207, RFC 9700 §4.4).

The generic OIDC upstream ``partner`` (tests/support/oidc_op.py) runs beside the ESIA mock. ESIA's
own broken tokens (unsigned, foreign key, wrong iss/aud, expired) are covered by
tests/e2e/login/test_upstream_faults.py, the OP's alg none, unpublished key, wrong aud/iss/nonce
and expiry by tests/e2e/login/test_oidc_upstream.py; here the attacks those leave out:

attack                                         page                    audit (login.upstream_protocol_error)
ID token HS256 keyed with the OP's public key  502 «Не удалось …»      reason bad_algorithm
ID token nbf an hour ahead                     502                     reason token_not_yet_valid
ID token iat an hour ahead                     502                     reason token_from_future
an earlier login's ID token replayed           502                     reason nonce_mismatch
mix-up: authorization response iss = ESIA's    502                     reason wrong_issuer
mix-up: ID token iss = ESIA's                  502                     reason wrong_issuer
mix-up: ESIA login's state at /callback/partner 400 «Сеанс входа устарел» login.stale_transaction
ESIA's broken tokens (mock /_dev/faults)       502                     as in test_upstream_faults.py

After each: no code for the client, no SSO session cookie, and ``prompt=none`` is login_required.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    PARTNER,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
)
from tests.support.log_capture import remember
from tests.support.oidc_op import OpenIdProvider

PROTOCOL_ERROR = "Не удалось получить данные"


async def assert_no_login(rig: Rig, page: httpx.Response) -> None:
    """No code went to the client and no SSO session exists in this browser."""
    assert "location" not in page.headers
    assert "code=" not in page.text
    assert "frmr_sso_session" not in page.headers.get("set-cookie", "")
    async with rig.web() as client:
        url, *_ = start(rig, client, prompt="none", idp_hint=PARTNER)
    silent = await rig.browser.get(url)
    assert silent.status_code == 302, silent.text
    assert query(silent.headers["location"])["error"] == "login_required"


async def assert_refused(rig: Rig, page: httpx.Response, event: str, reason: str | None = None) -> None:
    events = await rig.audit_events()
    assert "login.success" not in [e.event_type for e in events]
    [record] = [e for e in events if e.request_id == page.headers["x-request-id"]]
    assert (record.event_type, record.outcome) == (event, "failure")
    if reason is not None:
        assert record.details["reason"] == reason
    assert record.details["connector"] == PARTNER


def partner_url(rig: Rig, client: Any) -> str:
    url, *_ = start(rig, client, idp_hint=PARTNER)
    return url


def ahead(claim: str) -> Callable[[OpenIdProvider], None]:
    def bend(op: OpenIdProvider) -> None:
        op.id_token_claims[claim] = int(time.time()) + 3600
        if claim == "iat":
            op.id_token_claims["exp"] = int(time.time()) + 4000

    return bend


def hs256(op: OpenIdProvider) -> None:
    op.hmac_with_public_key = True


@pytest.mark.parametrize(
    ("bend", "reason"),
    [(hs256, "bad_algorithm"), (ahead("nbf"), "token_not_yet_valid"), (ahead("iat"), "token_from_future")],
    ids=["hs256-with-the-public-key", "nbf-in-the-future", "iat-in-the-future"],
)
async def test_a_bent_id_token_is_the_protocol_error_page(
    both_rig: Rig, op: OpenIdProvider, bend: Callable[[OpenIdProvider], None], reason: str
) -> None:
    bend(op)
    async with both_rig.web() as client:
        page = await both_rig.oidc_login(partner_url(both_rig, client))
    remember(*op.issued_id_tokens)
    assert_page(page, 502, PROTOCOL_ERROR)
    await assert_refused(both_rig, page, "login.upstream_protocol_error", reason)
    await assert_no_login(both_rig, page)


async def test_an_earlier_logins_id_token_replayed_is_refused(both_rig: Rig, op: OpenIdProvider) -> None:
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as victim:
        earlier = dataclasses.replace(both_rig, browser=victim)
        async with earlier.web() as client:
            url, state, *_ = start(earlier, client, idp_hint=PARTNER)
            assert_code_redirect(earlier, await earlier.oidc_login(url), WEB_REDIRECT, state)
    [stolen] = op.issued_id_tokens
    remember(stolen)
    op.replay_id_token = stolen  # valid signature, issuer, audience and lifetime: only the nonce differs
    async with both_rig.web() as client:
        page = await both_rig.oidc_login(partner_url(both_rig, client))
    assert_page(page, 502, PROTOCOL_ERROR)
    events = await both_rig.audit_events()
    [record] = [e for e in events if e.request_id == page.headers["x-request-id"]]
    assert (record.event_type, record.details["reason"]) == (
        "login.upstream_protocol_error",
        "nonce_mismatch",
    )
    assert [e.event_type for e in events].count("login.success") == 1  # the earlier, honest login
    await assert_no_login(both_rig, page)


async def test_mix_up_an_authorization_response_naming_esia(both_rig: Rig, op: OpenIdProvider) -> None:
    op.response_iss = both_rig.mock.settings.issuer
    async with both_rig.web() as client:
        page = await both_rig.oidc_login(partner_url(both_rig, client))
    assert_page(page, 502, PROTOCOL_ERROR)
    await assert_refused(both_rig, page, "login.upstream_protocol_error", "wrong_issuer")
    assert "token" not in op.requests  # refused before the code was sent anywhere
    await assert_no_login(both_rig, page)


async def test_mix_up_an_id_token_issued_in_esias_name(both_rig: Rig, op: OpenIdProvider) -> None:
    op.id_token_claims["iss"] = both_rig.mock.settings.issuer
    async with both_rig.web() as client:
        page = await both_rig.oidc_login(partner_url(both_rig, client))
    remember(*op.issued_id_tokens)
    assert_page(page, 502, PROTOCOL_ERROR)
    await assert_refused(both_rig, page, "login.upstream_protocol_error", "wrong_issuer")
    await assert_no_login(both_rig, page)


async def test_mix_up_an_esia_callback_sent_to_the_partner_callback(
    both_rig: Rig, op: OpenIdProvider
) -> None:
    async with both_rig.web() as client:
        url, *_ = start(both_rig, client, idp_hint="esia")
    esia_callback = await both_rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    params = query(esia_callback)
    remember(params["code"])
    forged = {"code": params["code"], "state": params["state"], "iss": op.issuer}
    page = await both_rig.browser.get(f"{both_rig.broker}/callback/{PARTNER}?{urlencode(forged)}")
    assert_page(page, 400, "Сеанс входа устарел")
    events = await both_rig.audit_events()
    [record] = [e for e in events if e.request_id == page.headers["x-request-id"]]
    assert (record.event_type, record.details["connector"]) == ("login.stale_transaction", PARTNER)
    assert "token" not in op.requests  # the ESIA code never went to the partner
    assert "login.success" not in [e.event_type for e in events]
    assert "location" not in page.headers
    assert "frmr_sso_session" not in page.headers.get("set-cookie", "")


@pytest.mark.parametrize("fault", ["unsigned", "wrong_key", "wrong_issuer", "wrong_audience", "expired"])
async def test_broken_esia_tokens_leave_no_session_and_no_code(both_rig: Rig, fault: str) -> None:
    """The pages and records are tests/e2e/login/test_upstream_faults.py's; here the state left."""
    async with both_rig.web() as client:
        url, *_ = start(both_rig, client, idp_hint="esia")
    callback = await both_rig.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    remember(query(callback)["code"])
    await both_rig.set_faults(token=fault, scope=["te"])
    try:
        page = await both_rig.browser.get(callback)
    finally:
        await both_rig.clear_faults()
    assert_page(page, 502, PROTOCOL_ERROR)
    [record] = [e for e in await both_rig.audit_events() if e.request_id == page.headers["x-request-id"]]
    assert (record.event_type, record.details["connector"]) == ("login.upstream_protocol_error", "esia")
    await assert_no_login(both_rig, page)
