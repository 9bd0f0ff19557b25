"""OIDC ID token rules, at_hash, userinfo merge, claim mapping; discovery document checks."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from frmr_sso.upstream.discovery import parse_metadata
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.jose import Jws
from frmr_sso.upstream.oidc_claims import (
    ClaimsMapping,
    check_id_token,
    claim,
    merge_userinfo,
    profile,
    token_hash,
    trust,
)

ISSUER = "https://idp.example"
NOW = 1_800_000_000


def jws(alg: str = "RS256", **claims: Any) -> Jws:
    base = {"iss": ISSUER, "aud": "rp", "sub": "u1", "iat": NOW, "exp": NOW + 300, "nonce": "n1"}
    merged = {k: v for k, v in (base | claims).items() if v is not None}
    return Jws({"alg": alg}, merged, b"", b"sig")


def check(token: Jws, access_token: str = "at") -> dict[str, Any]:  # noqa: S107 - a test value
    return check_id_token(
        token,
        issuer=ISSUER,
        client_id="rp",
        nonce="n1",
        access_token=access_token,
        now=NOW,
        skew=60,
        connector="p",
    )


def test_token_hash_is_the_left_half() -> None:
    # OpenID Connect Core, appendix A.3 example: at_hash of this access token under RS256
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"
    digest = hashlib.sha384(b"x").digest()
    assert token_hash("x", "ES384") == base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode()
    assert (
        token_hash("x", "EdDSA")
        == base64.urlsafe_b64encode(hashlib.sha512(b"x").digest()[:32]).rstrip(b"=").decode()
    )


def test_valid_token_passes() -> None:
    assert check(jws())["sub"] == "u1"
    assert check(jws(aud=["rp", "other"], azp="rp"))["sub"] == "u1"
    assert check(jws(at_hash=token_hash("at", "RS256")))["sub"] == "u1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": ISSUER + "/"}, "wrong_issuer"),
        ({"aud": "other"}, "wrong_audience"),
        ({"aud": None}, "wrong_audience"),
        ({"aud": ["rp", "other"]}, "wrong_audience"),
        ({"azp": "other"}, "wrong_audience"),
        ({"iat": None}, "malformed_token"),
        ({"exp": NOW - 61}, "expired_token"),
        ({"nbf": NOW + 61}, "token_not_yet_valid"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"nonce": "n2"}, "nonce_mismatch"),
        ({"nonce": 1}, "nonce_mismatch"),
        ({"at_hash": token_hash("other", "RS256")}, "at_hash_mismatch"),
        ({"sub": ""}, "malformed_token"),
        ({"sub": 42}, "malformed_token"),
    ],
)
def test_invalid_tokens(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(UpstreamProtocolError) as caught:
        check(jws(**claims))
    assert caught.value.reason == reason


def test_userinfo_merge_keeps_protocol_claims() -> None:
    id_claims = {"sub": "u1", "iss": ISSUER, "acr": "high", "given_name": "A"}
    merged = merge_userinfo(
        id_claims, {"sub": "u1", "acr": "low", "iss": "x", "given_name": "B", "snils": "s"}, connector="p"
    )
    assert merged == {"sub": "u1", "iss": ISSUER, "acr": "high", "given_name": "B", "snils": "s"}
    with pytest.raises(UpstreamProtocolError) as caught:
        merge_userinfo(id_claims, {"sub": "u2"}, connector="p")
    assert caught.value.reason == "subject_mismatch"
    with pytest.raises(UpstreamProtocolError):
        merge_userinfo(id_claims, {}, connector="p")


def test_claim_paths() -> None:
    claims = {"a": {"b": {"c": "deep"}}, "flat": 1}
    assert claim(claims, "a.b.c") == "deep"
    assert claim(claims, "flat") == 1
    assert claim(claims, "a.x") is None
    assert claim(claims, "flat.x") is None


@pytest.mark.parametrize(
    ("mapping", "claims", "expected"),
    [
        (ClaimsMapping(), {}, (False, "unverified")),
        (ClaimsMapping(), {"snils_verified": True}, (False, "unverified")),
        (ClaimsMapping(provider_trusted=True), {}, (True, "provider")),
        (ClaimsMapping(trusted="verified"), {"verified": True}, (True, "true")),
        (ClaimsMapping(trusted="verified"), {"verified": False}, (False, "false")),
        (ClaimsMapping(trusted="verified"), {}, (False, "absent")),
        (ClaimsMapping(trusted="verified"), {"verified": "true"}, (True, "true")),
        (ClaimsMapping(trusted="esia.lvl", trusted_values=("PR",)), {"esia": {"lvl": "PR"}}, (True, "PR")),
        (ClaimsMapping(trusted="esia.lvl", trusted_values=("PR",)), {"esia": {"lvl": "P"}}, (False, "P")),
    ],
)
def test_trust_mapping(mapping: ClaimsMapping, claims: dict[str, Any], expected: tuple[bool, str]) -> None:
    assert trust(claims, mapping) == expected


def test_profile_keeps_only_well_formed_values() -> None:
    good = profile(
        {
            "family_name": " Иванова ",
            "birthdate": "1985-03-14",
            "gender": "female",
            "amr": ["pwd", 1],
            "acr": "x",
            "auth_time": NOW,
            "sid": "s",
        }
    )
    assert good["family_name"] == "Иванова"
    assert (good["birthdate"], good["gender"], good["amr"], good["auth_time"]) == (
        "1985-03-14",
        "female",
        ("pwd",),
        NOW,
    )
    odd = profile({"birthdate": "14.03.1985", "gender": "other", "amr": "pwd", "auth_time": True, "acr": 1})
    assert (odd["birthdate"], odd["gender"], odd["amr"], odd["auth_time"], odd["acr"]) == (
        None,
        None,
        (),
        None,
        None,
    )


def document(**overrides: Any) -> dict[str, Any]:
    base = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/a",
        "token_endpoint": f"{ISSUER}/t",
        "jwks_uri": f"{ISSUER}/k",
        "userinfo_endpoint": f"{ISSUER}/u",
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def test_discovery_defaults() -> None:
    metadata = parse_metadata(document(userinfo_endpoint=None), issuer=ISSUER)
    assert metadata.userinfo_endpoint is None
    assert metadata.id_token_signing_alg_values_supported == ("RS256",)
    assert not metadata.iss_parameter_supported


@pytest.mark.parametrize(
    "overrides",
    [
        {"issuer": ISSUER + "/"},
        {"token_endpoint": None},
        {"jwks_uri": "http://idp.example/k"},
        {"authorization_endpoint": 5},
        {"code_challenge_methods_supported": ["plain"]},
    ],
)
def test_discovery_refusals(overrides: dict[str, Any]) -> None:
    with pytest.raises(UpstreamProtocolError) as caught:
        parse_metadata(document(**overrides), issuer=ISSUER)
    assert caught.value.reason == "bad_discovery"


def test_plain_http_only_for_an_http_issuer() -> None:
    local = "http://127.0.0.1:9000"
    doc = {
        "issuer": local,
        "authorization_endpoint": f"{local}/a",
        "token_endpoint": f"{local}/t",
        "jwks_uri": f"{local}/k",
    }
    assert parse_metadata(doc, issuer=local).token_endpoint == f"{local}/t"
