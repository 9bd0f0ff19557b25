"""Token signature checks: GOST3410_2012_256 (independent of the mock's verifier), RS/ES/PS, times."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from frmr_sso.jose.gost import (
    gost_curve,
    gost_point_on_curve,
    gost_sign_digest,
    gost_verify_digest,
    streebog256,
)
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.esia_signer import GostSecretSigner
from frmr_sso.upstream.jose import GOST256, check_times, parse_jws, verify_jws
from frmr_sso.upstream.jwks import JwksCache
from mock_esia.jws import SigningKey, encode_unsigned
from tests.support.gost_vectors import TEST_CURVE, D, E, K, Q, R, S

ALGS = ("RS256", GOST256)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def static_keys(*jwks: Mapping[str, Any]) -> JwksCache:
    async def fetch() -> Mapping[str, Any]:
        return {"keys": [dict(jwk) for jwk in jwks]}

    return JwksCache(fetch, connector="esia", min_refetch_interval=0)


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "1000000001"
    return ".".join([header, b64(json.dumps(claims).encode()), signature])


def test_gost_verifier_accepts_the_standard_example() -> None:
    assert gost_verify_digest(Q, E[::-1], S + R, TEST_CURVE)
    assert gost_sign_digest(D, E[::-1], TEST_CURVE, rand_k=K) == S + R
    assert not gost_verify_digest(Q, E, S + R, TEST_CURVE)  # the digest is read little-endian
    assert not gost_verify_digest(Q, E[::-1], R + S, TEST_CURVE)  # s || r, not r || s
    assert not gost_verify_digest(Q[:-1], E[::-1], S + R, TEST_CURVE)


def test_gost_point_must_be_on_the_curve() -> None:
    assert gost_point_on_curve(Q, TEST_CURVE)
    off = Q[:-1] + bytes([Q[-1] ^ 1])
    assert not gost_point_on_curve(off, TEST_CURVE)
    assert not gost_verify_digest(off, E[::-1], S + R, TEST_CURVE)


def test_gost_signer_and_verifier_agree() -> None:
    signer = GostSecretSigner.generate()
    message = b"header.payload"
    signature = base64.urlsafe_b64decode(signer.sign(message) + "==")
    public = bytes.fromhex(signer.public_key_hex())
    curve = gost_curve(signer.curve)
    assert gost_verify_digest(public, streebog256(message), signature, curve)
    assert not gost_verify_digest(public, streebog256(message + b"!"), signature, curve)


async def test_gost_token_of_the_mock_format_verifies() -> None:
    key = SigningKey.generate(GOST256)
    token = key.encode({"typ": "JWT", "sbt": "id"}, {"sub": "1000299654", "exp": 2})
    jws = await verify_jws(token, static_keys(key.jwk()), algorithms=ALGS, connector="esia")
    assert jws.claims["sub"] == "1000299654"
    assert jws.header["sbt"] == "id"


async def test_gost_token_signed_by_our_own_signer_verifies() -> None:
    signer = GostSecretSigner.generate()
    header = b64(json.dumps({"alg": GOST256, "kid": "ours"}).encode())
    payload = b64(json.dumps({"sub": "1"}).encode())
    curve = gost_curve(signer.curve)
    raw = gost_sign_digest(
        bytes.fromhex(signer.private_key_hex()), streebog256(f"{header}.{payload}".encode()), curve
    )
    public = bytes.fromhex(signer.public_key_hex())
    jwk = {
        "kty": "GOST3410",
        "kid": "ours",
        "crv": signer.curve,
        "x": b64(public[:32]),
        "y": b64(public[32:]),
    }
    token = f"{header}.{payload}.{b64(raw)}"
    assert (await verify_jws(token, static_keys(jwk), algorithms=ALGS)).claims == {"sub": "1"}


@pytest.mark.parametrize("alg", ["RS256", GOST256])
async def test_changed_payload_or_other_key_fails(alg: str) -> None:
    key, other = SigningKey.generate(alg), SigningKey.generate(alg)
    token = key.encode({}, {"sub": "1000299654"})
    for candidate, keys in (
        (tampered(token), static_keys(key.jwk())),
        (token, static_keys({**other.jwk(), "kid": key.kid})),
    ):
        with pytest.raises(UpstreamProtocolError) as caught:
            await verify_jws(candidate, keys, algorithms=ALGS)
        assert caught.value.reason == "bad_signature"


async def test_keys_without_kid_are_all_tried() -> None:
    first, second = SigningKey.generate("RS256"), SigningKey.generate("RS256")
    token = jwt.encode({"sub": "1"}, second.private, algorithm="RS256")  # no kid, as real ESIA tokens
    keys = static_keys(first.jwk(), second.jwk())
    assert (await verify_jws(token, keys, algorithms=ALGS)).claims == {"sub": "1"}


async def test_a_gost_key_cannot_verify_an_rsa_token_and_back() -> None:
    gost, rsa = SigningKey.generate(GOST256), SigningKey.generate("RS256")
    token = rsa.encode({}, {"sub": "1"})
    with pytest.raises(UpstreamProtocolError) as caught:
        await verify_jws(token, static_keys({**gost.jwk(), "kid": rsa.kid}), algorithms=ALGS)
    assert caught.value.reason == "unknown_key"


async def test_es256_and_ps256_through_pyjwt() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = {**ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": "ec1"}
    token = jwt.encode({"sub": "1"}, private, algorithm="ES256", headers={"kid": "ec1"})
    assert (await verify_jws(token, static_keys(jwk), algorithms={"ES256"})).claims == {"sub": "1"}
    rsa = SigningKey.generate("RS256")
    ps = jwt.encode({"sub": "2"}, rsa.private, algorithm="PS256", headers={"kid": rsa.kid})
    ps_jwk = {**rsa.jwk(), "alg": "PS256"}
    assert (await verify_jws(ps, static_keys(ps_jwk), algorithms={"PS256"})).claims == {"sub": "2"}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (encode_unsigned({"typ": "JWT"}, {"sub": "1"}), "unsigned_token"),
        (jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256"), "bad_algorithm"),
        ("a.b", "malformed_token"),
        ("e30.e30.", "unsigned_token"),
        ("W10.e30.AAAA", "malformed_token"),  # the header is a JSON list
        ("e30=.e30.AAAA", "malformed_token"),  # padded base64url
        ("!!.e30.AAAA", "malformed_token"),
        ("e30.eyJh!!!!IjoxfQ.AAAA", "malformed_token"),  # outside the alphabet (was decoded leniently)
        (b64(b'{"alg":"RS256","crit":["exp"],"exp":1}') + ".e30.AAAA", "critical_header"),
    ],
)
async def test_refused_before_any_key_is_fetched(token: str, reason: str) -> None:
    fetched: list[int] = []

    async def fetch() -> Mapping[str, Any]:
        fetched.append(1)
        return {"keys": []}

    with pytest.raises(UpstreamProtocolError) as caught:
        await verify_jws(token, JwksCache(fetch), algorithms={"RS256"}, connector="esia")
    assert caught.value.reason == reason
    assert fetched == []


async def test_algorithm_outside_the_connectors_list_is_refused() -> None:
    key = SigningKey.generate(GOST256)
    with pytest.raises(UpstreamProtocolError) as caught:
        await verify_jws(key.encode({}, {}), static_keys(key.jwk()), algorithms={"RS256"})
    assert caught.value.reason == "bad_algorithm"


def test_parse_keeps_header_claims_and_signing_input() -> None:
    token = jwt.encode({"a": 1}, "k" * 32, algorithm="HS256", headers={"kid": "x"})
    jws = parse_jws(token)
    assert (jws.header["kid"], jws.claims, jws.alg) == ("x", {"a": 1}, "HS256")
    assert jws.signing_input == token.rsplit(".", 1)[0].encode()


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": 1000 - 60}, "expired_token"),
        ({"exp": 1000 + 120, "nbf": 1000 + 61}, "token_not_yet_valid"),
        ({"exp": 1000 + 120, "iat": 1000 + 61}, "token_from_future"),
        ({}, "malformed_token"),
        ({"exp": "2000"}, "malformed_token"),
        ({"exp": True}, "malformed_token"),
    ],
)
def test_times_outside_the_skew(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(UpstreamProtocolError) as caught:
        check_times(claims, now=1000, skew=60)
    assert caught.value.reason == reason


def test_times_within_the_skew() -> None:
    check_times({"exp": 1000 - 59, "nbf": 1000 + 60, "iat": 1000 + 60}, now=1000, skew=60)
    check_times({"exp": 1000.5}, now=1000, skew=0)
