"""The ESIA connector against the real mock ESIA over HTTP: both token algorithms, both signers, faults."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

import httpx
import pytest

from frmr_sso.upstream.base import RefreshingConnector, UpstreamIdentity, new_state, refresh_binding
from frmr_sso.upstream.breaker import BreakerState, CircuitBreaker
from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamDenied,
    UpstreamProtocolError,
    UpstreamUnavailable,
)
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.signature import decode_client_secret, verify_rsa
from tests.e2e.upstream.support import DOCTOR, GOST_CLIENT, STANDARD, EsiaRig
from tests.support.esia_mock import TEST_CLIENT, TRUSTED_CLIENT

TE = "/aas/oauth2/v3/te"


def _doctor(identity: UpstreamIdentity) -> None:
    assert identity.subject == str(DOCTOR)
    assert identity.snils.formatted == "112-233-445 95"
    assert (identity.trusted, identity.trust_level) == (True, "PR")
    assert (identity.family_name, identity.given_name, identity.middle_name) == (
        "Иванова",
        "Мария",
        "Петровна",
    )
    assert (identity.birthdate, identity.gender) == ("1985-03-14", "female")


@pytest.mark.parametrize("client_id", [TEST_CLIENT, GOST_CLIENT], ids=["rsa-signer", "gost-signer"])
async def test_login_yields_the_confirmed_person(rig: EsiaRig, client_id: str) -> None:
    connector = rig.connector(client_id)
    login = await rig.login(connector)
    identity = await rig.complete(connector, login)
    _doctor(identity)
    assert identity.connector == "esia"
    assert (identity.amr, identity.upstream_amr) == (("pwd",), ("PWD",))
    assert identity.session_id
    assert identity.auth_time is not None
    assert identity.sealed_refresh_token is None  # online access keeps nothing
    assert "112-233" not in repr(identity)


async def test_login_through_the_real_pages(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector(TRUSTED_CLIENT)
    login = await rs256_rig.login_with_forms(connector)
    _doctor(await rs256_rig.complete(connector, login))


async def test_authorization_url_is_signed_for_v2_ac(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    state = new_state()
    url = httpx.URL(
        await connector.authorization_url(
            state=state, nonce="n", code_verifier=None, redirect_uri="http://x/cb"
        )
    )
    params = dict(url.params)
    assert url.path == "/aas/oauth2/v2/ac"
    assert params["state"] == state
    assert params["response_type"] == "code"
    assert params["access_type"] == "online"
    assert params["scope"] == "openid fullname birthdate gender snils"
    assert params["client_certificate_hash"] == "A" * 64
    message = "".join(params.get(n, "") for n in ("client_id", "scope", "scope_org", "timestamp", "state"))
    signature = decode_client_secret(params["client_secret"])
    assert signature is not None
    assert verify_rsa(rs256_rig.rsa.public_key_pem(), (message + "http://x/cb").encode(), signature)
    with pytest.raises(ValueError, match="UUID"):
        await connector.authorization_url(state="not-a-uuid", nonce="n", code_verifier=None, redirect_uri="x")


async def test_a_wrong_client_key_is_refused_at_the_token_endpoint(rs256_rig: EsiaRig) -> None:
    good = rs256_rig.connector()
    login = await rs256_rig.login(good)
    impostor = rs256_rig.connector(signer=RsaSecretSigner.generate())
    with pytest.raises(UpstreamProtocolError) as caught:
        await rs256_rig.complete(impostor, login)
    assert (caught.value.reason, caught.value.esia_code) == ("client_rejected", "ESIA-008010")


async def test_state_must_be_this_logins(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    login = await rs256_rig.login(connector)
    login.state = new_state()
    with pytest.raises(UpstreamProtocolError) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.reason == "state_mismatch"
    assert not any(request.url.path == TE for request in rs256_rig.sent)


async def test_a_code_is_redeemed_once(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    login = await rs256_rig.login(connector)
    await rs256_rig.complete(connector, login)
    with pytest.raises(UpstreamProtocolError) as caught:
        await rs256_rig.complete(connector, login)
    assert (caught.value.reason, caught.value.esia_code) == ("invalid_grant", "ESIA-007011")


async def test_cancel_on_the_login_page_is_denied(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    login = await rs256_rig.login_with_forms(connector, cancel=True)
    with pytest.raises(UpstreamDenied) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.esia_code == "ESIA-007004"


async def test_unconfirmed_account_refused_by_esia(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector(TRUSTED_CLIENT)
    login = await rs256_rig.login(connector, oid=STANDARD)
    with pytest.raises(AccountNotConfirmed) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.esia_code == "ESIA-007055"


async def test_unconfirmed_account_refused_from_its_tokens(rig: EsiaRig) -> None:
    connector = rig.connector()  # TEST01 lets any account through: the tokens say lvl=P
    login = await rig.login(connector, oid=STANDARD)
    with pytest.raises(AccountNotConfirmed) as caught:
        await rig.complete(connector, login)
    assert caught.value.esia_code is None
    assert not any(request.url.path.startswith("/rs/") for request in rig.sent)


async def test_unconfirmed_account_passes_when_not_required(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector(require_trusted=False)
    identity = await rs256_rig.complete(connector, await rs256_rig.login(connector, oid=STANDARD))
    assert (identity.trusted, identity.trust_level) == (False, "P")
    assert identity.snils.formatted == "234-567-890 99"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("unsigned", "unsigned_token"),
        ("wrong_key", "bad_signature"),
        ("wrong_issuer", "wrong_issuer"),
        ("wrong_audience", "wrong_audience"),
        ("expired", "expired_token"),
    ],
)
async def test_broken_tokens_are_refused(rig: EsiaRig, fault: str, reason: str) -> None:
    connector = rig.connector()
    login = await rig.login(connector)
    await rig.faults(token=fault, scope=["te"])
    with pytest.raises(UpstreamProtocolError) as caught:
        await rig.complete(connector, login)
    assert caught.value.reason == reason
    assert not any(request.url.path.startswith("/rs/") for request in rig.sent)
    assert connector.breaker.state is BreakerState.CLOSED  # ESIA answered: not an outage


async def test_configured_issuer_must_match_exactly(rs256_rig: EsiaRig) -> None:
    issuer = rs256_rig.mock.settings.issuer
    connector = rs256_rig.connector(issuer=issuer.rstrip("/"))  # the same host, no trailing slash
    with pytest.raises(UpstreamProtocolError) as caught:
        await rs256_rig.complete(connector, await rs256_rig.login(connector))
    assert caught.value.reason == "wrong_issuer"


async def test_rotated_signing_key_is_fetched_once(rig: EsiaRig) -> None:
    connector = rig.connector()
    await rig.complete(connector, await rig.login(connector))
    assert connector.keys.fetches == 1
    await rig.complete(connector, await rig.login(connector))
    assert connector.keys.fetches == 1  # cached
    rotated = await rig.browser.post(rig.mock.url("/_dev/keys/rotate"))
    assert rotated.status_code == 200
    _doctor(await rig.complete(connector, await rig.login(connector)))
    assert connector.keys.fetches == 2


async def test_read_timeout_is_unavailable(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector(timeout=httpx.Timeout(0.3, connect=2.0))
    login = await rs256_rig.login(connector)
    await rs256_rig.faults(latency=2.0, scope=["te"])
    with pytest.raises(UpstreamUnavailable) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.reason == "timeout"
    assert caught.value.retry_after >= 1
    assert connector.breaker.counters.failures == 1


async def test_hanging_token_endpoint_is_unavailable(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector(timeout=httpx.Timeout(0.3, connect=2.0))
    login = await rs256_rig.login(connector)
    await rs256_rig.faults(timeout=True, hang_seconds=10, scope=["te"])
    with pytest.raises(UpstreamUnavailable) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    ("fault", "reason", "retry_after"),
    [
        ({"status": 500}, "http_500", 1),
        ({"status": 502}, "http_502", 1),
        ({"downtime": "503"}, "http_503", 30),  # the mock's Retry-After
        ({"downtime": "drop"}, "connection", 1),
    ],
)
async def test_outages_are_unavailable(
    rs256_rig: EsiaRig, fault: dict[str, object], reason: str, retry_after: int
) -> None:
    connector = rs256_rig.connector()
    login = await rs256_rig.login(connector)
    await rs256_rig.faults(**fault, scope=["te"])
    with pytest.raises(UpstreamUnavailable) as caught:
        await rs256_rig.complete(connector, login)
    assert caught.value.reason == reason
    assert caught.value.retry_after >= retry_after


async def test_person_api_outage_is_unavailable(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    login = await rs256_rig.login(connector)
    await rs256_rig.faults(status=503, scope=["rs"])
    with pytest.raises(UpstreamUnavailable):
        await rs256_rig.complete(connector, login)


async def test_breaker_opens_and_short_circuits(rs256_rig: EsiaRig) -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, window=60, cool_down=30, clock=lambda: now[0])
    connector = rs256_rig.connector(breaker=breaker)
    logins = [await rs256_rig.login(connector) for _ in range(4)]
    await rs256_rig.faults(downtime="503", scope=["te"])
    for login in logins[:2]:
        with pytest.raises(UpstreamUnavailable):
            await rs256_rig.complete(connector, login)
    assert breaker.state is BreakerState.OPEN
    calls = len(rs256_rig.sent)
    with pytest.raises(UpstreamUnavailable) as caught:
        await rs256_rig.complete(connector, logins[2])
    assert caught.value.reason == "circuit_open"
    assert caught.value.retry_after == 30
    with pytest.raises(UpstreamUnavailable):
        await connector.authorization_url(state=new_state(), nonce="n", code_verifier=None, redirect_uri="x")
    assert len(rs256_rig.sent) == calls  # nothing reached ESIA

    await rs256_rig.clear_faults()
    now[0] = 31.0  # the cool-down is over: one trial goes through and closes the breaker
    _doctor(await rs256_rig.complete(connector, logins[3]))
    assert breaker.state is BreakerState.CLOSED


async def test_offline_access_keeps_a_sealed_refresh_token(rig: EsiaRig) -> None:
    connector = rig.connector(access_type="offline")
    assert isinstance(connector, RefreshingConnector)
    login = await rig.login(connector)
    identity = await rig.complete(connector, login)
    sealed = identity.sealed_refresh_token
    assert sealed is not None
    assert sealed.startswith("v1.")
    plain = rig.cipher.decrypt_text(sealed, associated_data=refresh_binding("esia", identity.subject))
    assert uuid.UUID(plain).version == 4  # the mock's refresh token, only ever kept sealed
    assert plain not in sealed
    refreshed = await connector.refresh(identity, redirect_uri="http://127.0.0.1:9/callback")
    _doctor(refreshed)
    assert refreshed.sealed_refresh_token not in (None, sealed)
    with pytest.raises(UpstreamProtocolError) as caught:  # ESIA rotated it: the old one is spent
        await connector.refresh(identity, redirect_uri="http://127.0.0.1:9/callback")
    assert caught.value.reason == "invalid_grant"
    moved = replace(refreshed, subject="1000299655")  # sealed for another person: does not open
    with pytest.raises(UpstreamProtocolError) as caught:
        await connector.refresh(moved, redirect_uri="http://127.0.0.1:9/callback")
    assert caught.value.reason == "bad_sealed_token"


async def test_online_identity_cannot_refresh(rs256_rig: EsiaRig) -> None:
    connector = rs256_rig.connector()
    identity = await rs256_rig.complete(connector, await rs256_rig.login(connector))
    with pytest.raises(UpstreamProtocolError) as caught:
        await connector.refresh(identity, redirect_uri="http://127.0.0.1:9/callback")
    assert caught.value.reason == "no_refresh_token"


async def test_no_tokens_codes_or_snils_in_logs(rs256_rig: EsiaRig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    connector = rs256_rig.connector(access_type="offline")
    login = await rs256_rig.login(connector)
    identity = await rs256_rig.complete(connector, login)
    await rs256_rig.faults(status=500, scope=["te"])
    with pytest.raises(UpstreamUnavailable):
        await connector.refresh(identity, redirect_uri="http://127.0.0.1:9/callback")
    bearer = next(r.headers["authorization"] for r in rs256_rig.sent if r.url.path.startswith("/rs/"))
    secrets = [
        login.params["code"],
        bearer.split()[1],
        identity.snils.digits,
        identity.snils.formatted,
        str(identity.sealed_refresh_token),
        rs256_rig.cipher.decrypt_text(
            str(identity.sealed_refresh_token), associated_data=refresh_binding("esia", identity.subject)
        ),
    ]
    assert caplog.records, "the transport should have logged the outage"
    for secret in secrets:
        assert secret not in caplog.text
