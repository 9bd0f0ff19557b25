from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.config import load_settings
from frmr_sso.security.crypto import NONCE_BYTES, DecryptionError, FieldCipher, derive_key

SECRET = "crypto-test-secret-key-3f9b1c7e5a2d8046"
cipher = FieldCipher(SECRET, purpose="signing-keys")


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4)))
    raw[index % len(raw)] ^= 0x01
    return "v1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@given(st.binary(max_size=4096), st.binary(max_size=64))
def test_round_trip(plaintext: bytes, associated: bytes) -> None:
    token = cipher.encrypt(plaintext, associated_data=associated)
    assert token.startswith("v1.")
    assert cipher.decrypt(token, associated_data=associated) == plaintext


@given(st.text(max_size=200))
def test_text_round_trip(text: str) -> None:
    assert cipher.decrypt_text(cipher.encrypt(text)) == text


def test_each_encryption_uses_a_fresh_nonce() -> None:
    first, second = cipher.encrypt(b"same"), cipher.encrypt(b"same")
    assert first != second
    raw = [base64.urlsafe_b64decode(t[3:] + "=" * (-len(t[3:]) % 4)) for t in (first, second)]
    assert raw[0][:NONCE_BYTES] != raw[1][:NONCE_BYTES]


def test_plaintext_does_not_appear_in_the_token() -> None:
    token = cipher.encrypt(b"-----BEGIN PRIVATE KEY-----")
    assert "BEGIN" not in token
    assert b"BEGIN" not in base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))


@given(st.integers(min_value=0, max_value=10_000))
def test_any_flipped_bit_is_detected(index: int) -> None:
    token = cipher.encrypt(b"private key material", associated_data=b"kid-1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(_flip(token, index), associated_data=b"kid-1")


def test_a_value_moved_to_another_row_is_detected() -> None:
    token = cipher.encrypt(b"pem", associated_data="kid-1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, associated_data="kid-2")


def test_another_secret_or_purpose_cannot_decrypt() -> None:
    token = cipher.encrypt(b"pem")
    with pytest.raises(DecryptionError, match="another secret key"):
        FieldCipher("z" * 48, purpose="signing-keys").decrypt(token)
    with pytest.raises(DecryptionError):
        FieldCipher(SECRET, purpose="upstream-tokens").decrypt(token)


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1.", "v2." + "A" * 60, "v1.not base64!", "v1." + "A" * 10, "plain-text-pem"],
)
def test_malformed_tokens_raise_the_domain_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_keys_differ_per_purpose_and_need_a_secret() -> None:
    assert derive_key(SECRET, "a") != derive_key(SECRET, "b")
    assert len(derive_key(SECRET, "a")) == 32
    with pytest.raises(ValueError, match="purpose"):
        derive_key(SECRET, "")
    with pytest.raises(ValueError, match="empty"):
        derive_key(b"", "a")


def test_cipher_from_settings_uses_the_secret_key() -> None:
    settings = load_settings(mode="production", secret_key=SECRET, issuer="https://sso.example.test")
    token = FieldCipher.from_settings(settings, purpose="signing-keys").encrypt(b"x")
    assert cipher.decrypt(token) == b"x"
