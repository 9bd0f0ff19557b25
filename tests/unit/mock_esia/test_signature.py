"""client_secret signing (broker side) against verification (mock side), and GOST known answers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frmr_sso.upstream.esia_signer import (
    ClientSecretSigner,
    GostSecretSigner,
    RsaSecretSigner,
    gost_sign_digest,
    streebog256,
)
from mock_esia.clients import RegisteredClient
from mock_esia.signature import (
    decode_client_secret,
    request_string,
    verify_client_secret,
    verify_gost_digest,
)
from tests.support.gost_vectors import TEST_CURVE, D, E, K, Q, R, S

MESSAGE = request_string(
    "FRMR01",
    "openid fullname",
    "",
    "2024.05.17 14:36:11 +0300",
    "1e1f6a0c-3b7e-4b8a-9c1d-2f3e4a5b6c7d",
    "http://127.0.0.1:8000/callback/esia",
)

_RSA = RsaSecretSigner.generate()
_GOST = GostSecretSigner.generate()


def _client(signer: RsaSecretSigner | GostSecretSigner) -> RegisteredClient:
    key = signer.public_key_pem() if isinstance(signer, RsaSecretSigner) else signer.public_key_hex()
    return RegisteredClient(
        client_id="FRMR01",
        redirect_uris=("http://127.0.0.1:8000/callback/esia",),
        certificate_hash="A" * 64,
        signature="rsa" if isinstance(signer, RsaSecretSigner) else "gost",
        public_key=key,
    )


def _verifies(signer: ClientSecretSigner, client: RegisteredClient, message: bytes, secret: str) -> bool:
    signature = decode_client_secret(secret)
    return signature is not None and verify_client_secret(client, message, signature)


def test_streebog256_matches_the_standard_example_m1() -> None:
    # GOST R 34.11-2012 example 1; the standard writes message and hash as big-endian numbers.
    m1 = bytes.fromhex(
        "32313039383736353433323130393837363534333231303938373635343332"
        "3130393837363534333231303938373635343332313039383736353433323130"
    )[::-1]
    expected = bytes.fromhex("00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d")
    assert streebog256(m1) == expected[::-1]


def test_gost_signature_matches_the_standard_example() -> None:
    digest = E[::-1]  # the digest bytes whose little-endian reading is the example's e
    assert gost_sign_digest(D, digest, TEST_CURVE, rand_k=K) == S + R


def test_gost_verification_accepts_the_standard_example_and_rejects_changes() -> None:
    digest = E[::-1]
    assert verify_gost_digest(Q, digest, S + R, TEST_CURVE)
    assert not verify_gost_digest(Q, digest, R + S, TEST_CURVE)
    assert not verify_gost_digest(Q, E, S + R, TEST_CURVE), "the digest is read little-endian"
    assert not verify_gost_digest(Q, digest, S + R[:-1] + b"\x00", TEST_CURVE)


@pytest.mark.parametrize("signer", [_RSA, _GOST], ids=["rsa", "gost"])
def test_round_trip_and_tampering(signer: RsaSecretSigner | GostSecretSigner) -> None:
    client = _client(signer)
    secret = signer.sign(MESSAGE)
    assert "=" not in secret
    assert "+" not in secret
    assert "/" not in secret
    assert _verifies(signer, client, MESSAGE, secret)
    assert not _verifies(signer, client, MESSAGE + b"x", secret)
    assert not _verifies(signer, client, MESSAGE[:-1], secret)


@pytest.mark.parametrize("kind", ["rsa", "gost"])
def test_padded_and_unpadded_secrets_both_verify(kind: str) -> None:
    signer = RsaSecretSigner.generate(bits=2048) if kind == "rsa" else GostSecretSigner.generate()
    raw_secret = signer.sign(MESSAGE)
    padded = raw_secret + "=" * (-len(raw_secret) % 4)
    client = _client(signer)
    assert _verifies(signer, client, MESSAGE, raw_secret)
    assert _verifies(signer, client, MESSAGE, padded)


def test_padded_signer_option() -> None:
    signer = GostSecretSigner(bytes.fromhex(_GOST.private_key_hex()), padded=True)
    secret = signer.sign(MESSAGE)
    assert len(secret) % 4 == 0
    assert secret.endswith("=")
    assert _verifies(signer, _client(signer), MESSAGE, secret)


def test_a_signature_by_another_key_fails() -> None:
    assert not _verifies(_RSA, _client(RsaSecretSigner.generate()), MESSAGE, _RSA.sign(MESSAGE))
    assert not _verifies(_GOST, _client(GostSecretSigner.generate()), MESSAGE, _GOST.sign(MESSAGE))


def test_gost_signature_in_cryptopro_byte_order_is_accepted() -> None:
    raw = decode_client_secret(_GOST.sign(MESSAGE))
    assert raw is not None
    reversed_secret = base64.urlsafe_b64encode(raw[::-1]).decode()
    assert _verifies(_GOST, _client(_GOST), MESSAGE, reversed_secret)


def test_gost_kind_does_not_accept_an_rsa_signature_and_vice_versa() -> None:
    assert not _verifies(_RSA, _client(_GOST), MESSAGE, _RSA.sign(MESSAGE))
    assert not _verifies(_GOST, _client(_RSA), MESSAGE, _GOST.sign(MESSAGE))


def test_a_client_without_key_never_verifies() -> None:
    client = RegisteredClient(client_id="X", redirect_uris=("http://x/",), certificate_hash="B" * 64)
    signature = decode_client_secret(_RSA.sign(MESSAGE))
    assert signature is not None
    assert not verify_client_secret(client, MESSAGE, signature)


@pytest.mark.parametrize(
    "secret",
    ["", "ab+c", "ab/c", "abc!", "a", "abcde", "ab=c", "abc==", "YQ===", "YQ=", " YQ", "YQ\n"],
)
def test_malformed_secrets_are_refused(secret: str) -> None:
    assert decode_client_secret(secret) is None


@pytest.mark.parametrize(("secret", "raw"), [("YQ", b"a"), ("YQ==", b"a"), ("YWI", b"ab"), ("YWI=", b"ab")])
def test_base64url_with_or_without_padding(secret: str, raw: bytes) -> None:
    assert decode_client_secret(secret) == raw


def test_gost_private_key_must_be_in_range() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        GostSecretSigner(b"\x00" * 32)
    with pytest.raises(ValueError, match="32 bytes"):
        GostSecretSigner(b"\x01" * 31)
    with pytest.raises(ValueError, match="unknown GOST curve"):
        GostSecretSigner(b"\x01" * 32, curve="no-such-curve")


def test_rsa_signer_pem_round_trip() -> None:
    again = RsaSecretSigner.from_pem(_RSA.private_key_pem())
    assert again.public_key_pem() == _RSA.public_key_pem()
    assert _verifies(again, _client(_RSA), MESSAGE, again.sign(MESSAGE))


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=512))
def test_rsa_round_trip_any_message(message: bytes) -> None:
    assert _verifies(_RSA, _client(_RSA), message, _RSA.sign(message))


@settings(max_examples=5, deadline=None)
@given(st.text(max_size=200))
def test_gost_round_trip_any_text(text: str) -> None:
    message = text.encode()
    assert _verifies(_GOST, _client(_GOST), message, _GOST.sign(message))
