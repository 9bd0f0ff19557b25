"""ESIA-shaped tokens: header and claims, both algorithms, rotation, JWKS and injected faults."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest

from mock_esia.accounts import Account, SecondFactor, Trust, account_from_dict
from mock_esia.flow import Grant
from mock_esia.jws import GOST256, RS256, InvalidToken, b64url_decode, parse
from mock_esia.tokens import TokenFault, TokenKeys, issue_tokens, scoped, verify_access_token

ISSUER = "http://esia.gosuslugi.ru/"
OID = 1000299654
GRANT = Grant(
    client_id="FRMR01",
    redirect_uri="http://127.0.0.1:8000/callback/esia",
    scope="fullname openid snils",
    scope_org="",
    oid=OID,
    auth_time=1_700_000_000,
    amr="PWD",
    sid="5a7c0c1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b",
    access_type="online",
)


def _account(trust: Trust) -> Account:
    return account_from_dict(
        {
            "oid": OID, "phone": "+79990000001", "snils": "112-233-445 95", "password": "x",
            "trust": trust.value, "second_factor": SecondFactor.NONE.value,
        }
    )


@pytest.fixture(scope="module", params=[RS256, GOST256])
def keys(request: pytest.FixtureRequest) -> TokenKeys:
    return TokenKeys(request.param)


def _issue(
    keys: TokenKeys, trust: Trust = Trust.CONFIRMED, fault: TokenFault | None = None
) -> tuple[str, str]:
    issued = issue_tokens(keys, GRANT, _account(trust), issuer=ISSUER, ttl=3600, fault=fault)
    assert issued.expires_in == 3600
    return issued.access_token, issued.id_token


def test_scope_suffixes_every_scope_but_openid() -> None:
    assert scoped("fullname openid snils", OID) == f"fullname?oid={OID} openid snils?oid={OID}"


def test_access_token_is_esia_shaped(keys: TokenKeys) -> None:
    access, _ = _issue(keys)
    header, payload = keys.verify(access)
    assert header["ver"] == 1
    assert header["typ"] == "JWT"
    assert header["sbt"] == "access"
    assert header["alg"] == keys.alg
    assert header["kid"] == keys.active.kid
    assert payload["scope"] == f"fullname?oid={OID} openid snils?oid={OID}"
    assert payload["urn:esia:sbj_id"] == OID
    assert payload["urn:esia:sid"] == GRANT.sid
    assert payload["client_id"] == "FRMR01"
    assert payload["iss"] == ISSUER
    assert payload["exp"] - payload["iat"] == 3600
    assert payload["nbf"] == payload["iat"]
    assert abs(payload["iat"] - time.time()) < 5
    assert verify_access_token(keys, access, issuer=ISSUER)["urn:esia:sbj_id"] == OID


def test_id_token_of_a_confirmed_account(keys: TokenKeys) -> None:
    _, id_token = _issue(keys)
    header, claims = keys.verify(id_token)
    assert header["sbt"] == "id"
    assert claims["aud"] == "FRMR01"
    assert claims["sub"] == str(OID)
    assert claims["auth_time"] == GRANT.auth_time
    assert claims["amr"] == "PWD"
    assert claims["urn:esia:amd"] == "PWD"
    assert claims["urn:esia:sid"] == GRANT.sid
    assert claims["urn:esia:sbj"] == {
        "urn:esia:sbj:typ": "P",
        "urn:esia:sbj:oid": OID,
        "urn:esia:sbj:nam": f"OID.{OID}",
        "urn:esia:sbj:lvl": "PR",
        "urn:esia:sbj:is_tru": True,
    }


@pytest.mark.parametrize("trust", [Trust.STANDARD, Trust.SIMPLIFIED])
def test_id_token_of_an_unconfirmed_account_has_no_is_tru(trust: Trust) -> None:
    keys = TokenKeys(RS256)
    _, id_token = _issue(keys, trust)
    subject = keys.verify(id_token)[1]["urn:esia:sbj"]
    assert subject["urn:esia:sbj:lvl"] == "P"
    assert "urn:esia:sbj:is_tru" not in subject


def test_rs256_tokens_verify_with_pyjwt_through_the_jwks() -> None:
    keys = TokenKeys(RS256)
    _, id_token = _issue(keys)
    jwk_set = jwt.PyJWKSet.from_dict(keys.jwks())
    key = jwk_set[jwt.get_unverified_header(id_token)["kid"]]
    claims = jwt.decode(id_token, key, algorithms=["RS256"], audience="FRMR01", issuer=ISSUER)
    assert claims["sub"] == str(OID)


def test_gost_jwks_is_the_documented_non_standard_form() -> None:
    keys = TokenKeys(GOST256)
    (jwk,) = keys.jwks()["keys"]
    assert jwk["kty"] == "GOST3410"
    assert jwk["alg"] == GOST256
    assert jwk["crv"] == "id-tc26-gost-3410-2012-256-paramSetB"
    assert jwk["kid"] == keys.active.kid
    assert b64url_decode(jwk["x"]) + b64url_decode(jwk["y"]) == keys.active.public
    assert len(b64url_decode(jwk["x"])) == 32


def test_tampered_tokens_do_not_verify(keys: TokenKeys) -> None:
    access, _ = _issue(keys)
    head, body, signature = access.split(".")
    claims = json.loads(b64url_decode(body))
    claims["urn:esia:sbj_id"] = OID + 1
    forged_body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(InvalidToken):
        keys.verify(f"{head}.{forged_body}.{signature}")
    with pytest.raises(InvalidToken):
        keys.verify(f"{head}.{body}.{signature[:-4]}AAAA")


def test_rotation_keeps_the_previous_key_published(keys: TokenKeys) -> None:
    keys = TokenKeys(keys.alg)
    before, _ = _issue(keys)
    first = keys.active.kid
    second = keys.rotate()
    assert second != first
    assert [k["kid"] for k in keys.jwks()["keys"]] == [second, first]
    assert keys.verify(before)
    after, _ = _issue(keys)
    assert parse(after)[0]["kid"] == second
    keys.rotate()
    assert first not in [k["kid"] for k in keys.jwks()["keys"]]
    with pytest.raises(InvalidToken):
        keys.verify(before)


def test_fault_unsigned(keys: TokenKeys) -> None:
    access, id_token = _issue(keys, fault=TokenFault.UNSIGNED)
    for token in (access, id_token):
        header, _ = parse(token)
        assert header["alg"] == "none"
        assert token.endswith(".")
        with pytest.raises(InvalidToken):
            keys.verify(token)


def test_fault_wrong_key_keeps_the_published_kid(keys: TokenKeys) -> None:
    access, id_token = _issue(keys, fault=TokenFault.WRONG_KEY)
    for token in (access, id_token):
        assert parse(token)[0]["kid"] == keys.active.kid
        with pytest.raises(InvalidToken):
            keys.verify(token)


def test_fault_wrong_issuer_and_audience(keys: TokenKeys) -> None:
    access, id_token = _issue(keys, fault=TokenFault.WRONG_ISSUER)
    assert keys.verify(id_token)[1]["iss"] != ISSUER
    with pytest.raises(InvalidToken):
        verify_access_token(keys, access, issuer=ISSUER)
    _, id_token = _issue(keys, fault=TokenFault.WRONG_AUDIENCE)
    claims: dict[str, Any] = keys.verify(id_token)[1]
    assert claims["aud"] != "FRMR01"
    assert claims["iss"] == ISSUER


def test_fault_expired(keys: TokenKeys) -> None:
    access, id_token = _issue(keys, fault=TokenFault.EXPIRED)
    assert keys.verify(id_token)[1]["exp"] < time.time()
    with pytest.raises(InvalidToken):
        verify_access_token(keys, access, issuer=ISSUER)


def test_access_token_checks(keys: TokenKeys) -> None:
    access, id_token = _issue(keys)
    with pytest.raises(InvalidToken):
        verify_access_token(keys, id_token, issuer=ISSUER)  # an ID token is not an access token
    with pytest.raises(InvalidToken):
        verify_access_token(keys, access, issuer="http://other/")
    with pytest.raises(InvalidToken):
        verify_access_token(keys, access, issuer=ISSUER, now=int(time.time()) + 3600 + 31)
    with pytest.raises(InvalidToken):
        verify_access_token(keys, access, issuer=ISSUER, now=int(time.time()) - 60)
    with pytest.raises(InvalidToken):
        verify_access_token(TokenKeys(keys.alg), access, issuer=ISSUER)


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "..", "e30.e30.", "W10.W10.AA"])
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        TokenKeys(RS256).verify(garbage)


def test_unsupported_algorithm() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        TokenKeys("HS256")
