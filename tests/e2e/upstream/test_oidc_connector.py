"""The generic OIDC connector against a hand-written OpenID Provider served over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from frmr_sso.jose.digests import s256_challenge
from frmr_sso.upstream.base import (
    Connector,
    RefreshingConnector,
    UpstreamIdentity,
    new_code_verifier,
    new_nonce,
    new_state,
)
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamDenied,
    UpstreamProtocolError,
    UpstreamSnilsInvalid,
    UpstreamSnilsMissing,
    UpstreamUnavailable,
)
from frmr_sso.upstream.oidc import OidcConnector, OidcOptions
from frmr_sso.upstream.oidc_claims import ClaimsMapping
from tests.support.oidc_op import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, OpenIdProvider, OpKey, running_op

PERSON = {
    "sub": "partner-4711",
    "family_name": "Иванова",
    "given_name": "Мария",
    "middle_name": "Петровна",
    "birthdate": "1985-03-14",
    "gender": "female",
    "person": {"snils": "112-233-445 95"},
    "confirmed": True,
}


@dataclass
class Attempt:
    state: str
    nonce: str
    verifier: str
    params: dict[str, str]


@pytest.fixture
def op() -> Iterator[OpenIdProvider]:
    with running_op(OpenIdProvider(claims=dict(PERSON))) as provider:
        yield provider


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def connector(op: OpenIdProvider, http: httpx.AsyncClient, **options: Any) -> OidcConnector:
    settings: dict[str, Any] = {
        "name": "partner",
        "issuer": op.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "display_name": "Партнёр",
        "scopes": ("openid", "profile", "snils"),
        "claims": ClaimsMapping(snils="person.snils", trusted="confirmed"),
        "jwks_min_refetch": 0.0,
    }
    breaker = options.pop("breaker", None)
    return OidcConnector(OidcOptions(**(settings | options)), http=http, breaker=breaker)


async def authorize(rp: OidcConnector, http: httpx.AsyncClient) -> Attempt:
    attempt = Attempt(new_state(), new_nonce(), new_code_verifier(), {})
    url = await rp.authorization_url(
        state=attempt.state, nonce=attempt.nonce, code_verifier=attempt.verifier, redirect_uri=REDIRECT_URI
    )
    response = await http.get(url)
    assert response.status_code == 302, response.text
    attempt.params = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    return attempt


async def finish(rp: OidcConnector, attempt: Attempt) -> UpstreamIdentity:
    return await rp.complete(
        params=attempt.params,
        expected_state=attempt.state,
        nonce=attempt.nonce,
        code_verifier=attempt.verifier,
        redirect_uri=REDIRECT_URI,
    )


async def login(rp: OidcConnector, http: httpx.AsyncClient) -> UpstreamIdentity:
    return await finish(rp, await authorize(rp, http))


async def refused(rp: OidcConnector, http: httpx.AsyncClient) -> str:
    with pytest.raises(UpstreamProtocolError) as caught:
        await login(rp, http)
    return caught.value.reason


async def test_happy_path(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    rp = connector(op, http)
    identity = await login(rp, http)
    assert identity.connector == "partner"
    assert identity.subject == "partner-4711"
    assert identity.snils.formatted == "112-233-445 95"
    assert (identity.trusted, identity.trust_level) == (True, "true")
    assert (identity.family_name, identity.given_name, identity.middle_name) == (
        "Иванова",
        "Мария",
        "Петровна",
    )
    assert (identity.birthdate, identity.gender) == ("1985-03-14", "female")
    assert (identity.amr, identity.acr, identity.session_id) == (
        ("pwd", "otp", "mfa"),
        "urn:test:loa:high",
        "op-session-1",
    )
    assert op.requests.count("discovery") == 1
    assert "userinfo" in op.requests


async def test_authorization_request_uses_pkce_s256_and_nonce(
    op: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    rp = connector(op, http)
    url = httpx.URL(
        await rp.authorization_url(state="s", nonce="n-1", code_verifier="v" * 50, redirect_uri="r")
    )
    params = dict(url.params)
    assert url.path == "/authorize"
    assert params["code_challenge"] == s256_challenge("v" * 50)
    assert (params["code_challenge_method"], params["nonce"], params["state"]) == ("S256", "n-1", "s")
    assert params["scope"] == "openid profile snils"
    with pytest.raises(ValueError, match="PKCE"):
        await rp.authorization_url(state="s", nonce="n", code_verifier=None, redirect_uri="r")
    with pytest.raises(ValueError, match="PKCE"):
        await rp.complete(
            params={"state": "s", "code": "c"},
            expected_state="s",
            nonce="n",
            code_verifier=None,
            redirect_uri="r",
        )
    assert isinstance(rp, Connector)
    assert not isinstance(rp, RefreshingConnector)


async def test_wrong_code_verifier_is_refused_by_the_provider(
    op: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    rp = connector(op, http)
    attempt = await authorize(rp, http)
    attempt.verifier = new_code_verifier()
    with pytest.raises(UpstreamProtocolError) as caught:
        await finish(rp, attempt)
    assert caught.value.reason == "invalid_grant"


async def test_wrong_nonce(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.id_token_claims["nonce"] = "someone-elses"
    assert await refused(connector(op, http), http) == "nonce_mismatch"


async def test_missing_nonce(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.id_token_claims["nonce"] = None
    assert await refused(connector(op, http), http) == "nonce_mismatch"


@pytest.mark.parametrize(
    "claims",
    [{"aud": "another-rp"}, {"aud": [CLIENT_ID, "another-rp"]}, {"azp": "another-rp"}],
    ids=["other-aud", "extra-aud-without-azp", "wrong-azp"],
)
async def test_wrong_audience(op: OpenIdProvider, http: httpx.AsyncClient, claims: dict[str, Any]) -> None:
    op.id_token_claims.update(claims)
    assert await refused(connector(op, http), http) == "wrong_audience"


async def test_several_audiences_with_our_azp_pass(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.id_token_claims.update(aud=[CLIENT_ID, "another-rp"], azp=CLIENT_ID)
    assert (await login(connector(op, http), http)).subject == "partner-4711"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "http://evil.example"}, "wrong_issuer"),
        ({"exp": 1_000_000}, "expired_token"),
        ({"iat": None}, "malformed_token"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash_mismatch"),
    ],
)
async def test_bad_id_token_claims(
    op: OpenIdProvider, http: httpx.AsyncClient, claims: dict[str, Any], reason: str
) -> None:
    op.id_token_claims.update(claims)
    assert await refused(connector(op, http), http) == reason


async def test_unknown_kid_then_rotated_key(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    rp = connector(op, http)
    await login(rp, http)
    assert rp.keys.fetches == 1
    op.rotate()  # the provider signs with a new key the cache has not seen
    assert (await login(rp, http)).subject == "partner-4711"
    assert rp.keys.fetches == 2


async def test_unpublished_key_is_refused_after_one_refetch(
    op: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    eager, patient = connector(op, http), connector(op, http, jwks_min_refetch=60.0)
    await login(eager, http)
    await login(patient, http)
    op.sign_with = OpKey.generate()
    assert await refused(eager, http) == "unknown_key"
    assert eager.keys.fetches == 2  # one refetch for the unknown kid, then the verdict
    assert await refused(patient, http) == "unknown_key"
    assert await refused(patient, http) == "unknown_key"
    assert patient.keys.fetches == 1  # within the refetch interval: no fetch at all


async def test_published_kid_with_another_key_is_a_bad_signature(
    op: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    op.sign_with = OpKey(op.published[0].kid, OpKey.generate().private)
    assert await refused(connector(op, http), http) == "bad_signature"


async def test_missing_snils_claim(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.claims["person"] = {}
    with pytest.raises(UpstreamSnilsMissing):
        await login(connector(op, http), http)


async def test_invalid_snils(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.claims["person"] = {"snils": "112-233-445 96"}
    with pytest.raises(UpstreamSnilsInvalid):
        await login(connector(op, http), http)


async def test_snils_from_userinfo_only(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.id_token_claims["person"] = None
    assert (await login(connector(op, http), http)).snils.formatted == "112-233-445 95"


async def test_userinfo_of_another_subject(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.userinfo_claims["sub"] = "someone-else"
    assert await refused(connector(op, http), http) == "subject_mismatch"


async def test_unconfirmed_account(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.claims["confirmed"] = False
    with pytest.raises(AccountNotConfirmed):
        await login(connector(op, http), http)
    identity = await login(connector(op, http, require_trusted=False), http)
    assert (identity.trusted, identity.trust_level) == (False, "false")


async def test_denied(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.deny = True
    with pytest.raises(UpstreamDenied):
        await login(connector(op, http), http)


async def test_state_and_iss_of_the_callback(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    rp = connector(op, http)
    attempt = await authorize(rp, http)
    with pytest.raises(UpstreamProtocolError) as caught:
        await finish(rp, Attempt(new_state(), attempt.nonce, attempt.verifier, attempt.params))
    assert caught.value.reason == "state_mismatch"
    for iss in ("http://evil.example", None):  # the provider announces RFC 9207: iss is required
        params = {k: v for k, v in attempt.params.items() if k != "iss"} | ({"iss": iss} if iss else {})
        with pytest.raises(UpstreamProtocolError) as caught:
            await finish(rp, Attempt(attempt.state, attempt.nonce, attempt.verifier, params))
        assert caught.value.reason == "wrong_issuer"
    assert "token" not in op.requests


async def test_token_signed_with_the_client_secret_is_refused(
    op: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    op.hmac_secret = CLIENT_SECRET * 2  # HS256 under a secret we know: the classic algorithm confusion
    assert await refused(connector(op, http), http) == "bad_algorithm"


async def test_unsigned_token_is_refused(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.unsigned = True
    assert await refused(connector(op, http), http) == "unsigned_token"


async def test_discovery_must_name_the_configured_issuer(op: OpenIdProvider, http: httpx.AsyncClient) -> None:
    op.discovery_extra["issuer"] = "http://elsewhere.example"
    assert await refused(connector(op, http), http) == "bad_discovery"


async def test_provider_down_is_unavailable_and_opens_the_breaker(http: httpx.AsyncClient) -> None:
    with running_op(OpenIdProvider(claims=dict(PERSON))) as gone:
        issuer = gone.issuer
    rp = OidcConnector(
        OidcOptions(name="gone", issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        http=http,
        breaker=CircuitBreaker(failure_threshold=2),
    )
    for reason in ("connection", "connection", "circuit_open"):
        with pytest.raises(UpstreamUnavailable) as caught:
            await rp.authorization_url(state=new_state(), nonce="n", code_verifier="v" * 43, redirect_uri="r")
        assert caught.value.reason == reason
