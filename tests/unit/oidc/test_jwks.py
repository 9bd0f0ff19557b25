from __future__ import annotations

import jwt
import pytest

from frmr_sso.oidc.jwks import (
    UnsupportedAlgorithm,
    generate_private_key,
    jwk_thumbprint,
    load_private_key,
    private_key_pem,
    public_jwk,
)


@pytest.mark.parametrize(("alg", "kty"), [("RS256", "RSA"), ("ES256", "EC")])
def test_public_jwk_has_no_private_members_and_verifies(alg: str, kty: str) -> None:
    key = generate_private_key(alg)
    jwk = public_jwk(key, alg)
    assert jwk["kty"] == kty
    assert jwk["use"] == "sig"
    assert jwk["alg"] == alg
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    token = jwt.encode({"sub": "x"}, key, algorithm=alg, headers={"kid": jwk["kid"]})
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[alg]) == {"sub": "x"}


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638 §3.1 example key and thumbprint
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJE"
        "CPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQ"
        "MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
        "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_private_key_pem_round_trip(alg: str) -> None:
    key = generate_private_key(alg)
    loaded = load_private_key(private_key_pem(key), alg)
    assert public_jwk(loaded, alg) == public_jwk(key, alg)


def test_key_of_the_wrong_type_is_refused() -> None:
    pem = private_key_pem(generate_private_key("ES256"))
    with pytest.raises(UnsupportedAlgorithm):
        load_private_key(pem, "RS256")


@pytest.mark.parametrize("alg", ["HS256", "none", "PS256", "GOST3410_2012_256"])
def test_only_rs256_and_es256_are_issued(alg: str) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        generate_private_key(alg)


def test_rsa_key_size_is_checked() -> None:
    assert generate_private_key("RS256", rsa_bits=3072).key_size == 3072
    with pytest.raises(ValueError, match="bits"):
        generate_private_key("RS256", rsa_bits=1024)
