"""Strict base64url, the PKCE S256 challenge and at_hash: one implementation, checked against the RFCs."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.jose import b64url_decode, b64url_encode, parse_compact, s256_challenge, token_hash
from frmr_sso.jose.jws import JwsError


@given(st.binary(max_size=200))
def test_encode_then_decode_is_the_identity(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "eyJh!!!!IjoxfQ",  # characters outside the alphabet (the old upstream decoder took it)
        "eyJhIjoxfQ==",  # padding
        "eyJh IjoxfQ",  # whitespace
        "eyJh+IjoxfQ",  # the standard alphabet's +
        "eyJh/IjoxfQ",
        "abcde",  # a length no encoder writes
        "é",
    ],
)
def test_the_decoder_refuses_anything_an_encoder_would_not_write(text: str) -> None:
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode(text)


def test_rfc7636_appendix_b_s256() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_oidc_at_hash() -> None:
    """OpenID Connect Core, the example of §A.3 (an RS256 id_token for this access token)."""
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"
    assert len(token_hash("x", "ES384")) == 32
    assert len(token_hash("x", "EdDSA")) == 43
    with pytest.raises(ValueError, match="no hash"):
        token_hash("x", "none")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('{"alg":"RS256","crit":["exp"],"exp":1}', "critical"),
        ('{"alg":"RS256","b64":false,"crit":["b64"]}', "critical"),
        ("[1]", "JSON object"),
    ],
)
def test_the_parser_refuses_critical_extensions_and_non_objects(header: str, reason: str) -> None:
    token = f"{b64url_encode(header.encode())}.{b64url_encode(b'{}')}.c2ln"
    with pytest.raises(JwsError, match=reason):
        parse_compact(token)


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", ".e30.c2ln", "eyJh!!!!IjoxfQ.e30.c2ln", "e30.e30.c2l="])
def test_the_parser_refuses_malformed_compact_forms(token: str) -> None:
    with pytest.raises(JwsError):
        parse_compact(token)
