from __future__ import annotations

import base64
import hashlib

import pytest

from frmr_sso.jose.digests import token_hash
from frmr_sso.oidc.id_token import id_token_claims

# OpenID Connect Core 1.0, Appendix A.3 / A.4 (RS256)
ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
AT_HASH = "77QmUPtjPfzWtF2AnpK9RQ"
CODE = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
C_HASH = "LDktKdoQak3Pk0cnXxCltA"


def test_at_hash_and_c_hash_vectors_of_oidc_core() -> None:
    assert token_hash(ACCESS_TOKEN, "RS256") == AT_HASH
    assert token_hash(ACCESS_TOKEN, "ES256") == AT_HASH
    assert token_hash(CODE, "RS256") == C_HASH


@pytest.mark.parametrize(
    ("alg", "hash_name"), [("RS384", "sha384"), ("ES512", "sha512"), ("EdDSA", "sha512")]
)
def test_at_hash_follows_the_signing_algorithm(alg: str, hash_name: str) -> None:
    full = hashlib.new(hash_name, ACCESS_TOKEN.encode()).digest()
    expected = base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode()
    assert token_hash(ACCESS_TOKEN, alg) == expected
    assert len(token_hash(ACCESS_TOKEN, alg)) > len(AT_HASH)


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="none"):
        token_hash(ACCESS_TOKEN, "none")


def test_claims_of_a_code_exchange() -> None:
    claims = id_token_claims(
        issuer="https://sso.test",
        client_id="demo-web",
        subject="sub-1",
        now=1_700_000_000,
        ttl=300,
        auth_time=1_699_999_990,
        nonce="n-1",
        acr="urn:frmr-sso:acr:esia-confirmed",
        amr=("pwd", "sms"),
        sid="sid-1",
        access_token=ACCESS_TOKEN,
        identity={"name": "Иванов Иван", "iss": "https://evil.test", "sub": "other"},
    )
    assert claims == {
        "name": "Иванов Иван",
        "iss": "https://sso.test",
        "sub": "sub-1",
        "aud": "demo-web",
        "azp": "demo-web",
        "iat": 1_700_000_000,
        "exp": 1_700_000_300,
        "auth_time": 1_699_999_990,
        "nonce": "n-1",
        "acr": "urn:frmr-sso:acr:esia-confirmed",
        "amr": ["pwd", "sms"],
        "sid": "sid-1",
        "at_hash": AT_HASH,
    }


def test_minimal_claims_leave_out_what_is_unknown() -> None:
    claims = id_token_claims(
        issuer="https://sso.test", client_id="c", subject="s", now=10, ttl=5, auth_time=7
    )
    assert claims == {
        "iss": "https://sso.test",
        "sub": "s",
        "aud": "c",
        "azp": "c",
        "iat": 10,
        "exp": 15,
        "auth_time": 7,
    }
