"""One key derivation (HKDF-SHA256, purpose as info), previous secret keys, values of earlier versions."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from frmr_sso.bootstrap.login import login_settings
from frmr_sso.config import load_settings
from frmr_sso.identity.snils import Snils
from frmr_sso.login.mapping import snils_hash
from frmr_sso.second_factor import totp
from frmr_sso.security.crypto import DecryptionError, FieldCipher, SecretKeys

OLD, NEW = "earlier-version-secret-key-0123456789abcdef", "rotated-secret-key-fedcba9876543210-xyz"
# Every purpose a key is derived for (sealing and keyed hashes), as the broker and the cabinet use them.
PURPOSES = (
    "signing-keys", "totp", "upstream-tokens", "sso-session", "second-factor-pending",
    "second-factor-account", "statement-signing-key", "cabinet-session", "csrf",
    "snils-hash", "contact-code", "recovery-codes",
)
# Written by the version before this one (FieldCipher, recovery-code and SNILS hashes) under OLD.
EARLIER_TOTP_SEALED = "v1.xpY2qqGCetgRonzCTCkmMzx6hWyL5jFDJK25K4-FyUil2gAX6KfuS568asE"
EARLIER_RECOVERY_HASH = "2967fb0f16353c456ebdd0b99fe9e2611edb2c957ce23bd510494ed9b1d6eeb4"  # "abcde-fghjk"
EARLIER_SNILS_HASH = "fbd6eedf7180c944f85571f6d46fced0f59f113ba1e45b9fba1616c0d6739514"  # 112-233-445 95


def _rfc5869(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 written out from RFC 5869 (extract, one expand block), independent of ``cryptography``."""
    prk = hmac.digest(salt, ikm, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")


@pytest.mark.parametrize("purpose", PURPOSES)
def test_derive_key_is_hkdf_sha256_with_the_purpose_as_info(purpose: str) -> None:
    expected = _rfc5869(NEW.encode(), b"frmr-sso field encryption", f"frmr-sso/{purpose}".encode())
    assert SecretKeys(NEW).derive_key(purpose) == expected


def test_each_purpose_gets_a_distinct_key_and_none_is_an_earlier_derivation() -> None:
    keys = SecretKeys(NEW)
    derived = {keys.derive_key(p) for p in PURPOSES}
    assert len(derived) == len(PURPOSES)
    earlier = {k for p in PURPOSES for k in keys.legacy_keys(p)}
    assert not derived & earlier
    assert SecretKeys(OLD).derive_key("totp") != keys.derive_key("totp")


def test_a_value_sealed_by_the_earlier_version_still_opens() -> None:
    opened = FieldCipher(OLD, purpose="totp").decrypt_text(EARLIER_TOTP_SEALED, associated_data="subject-1")
    assert opened == "JBSWY3DPEHPK3PXP"


def test_keyed_hashes_of_the_earlier_version_are_recognised() -> None:
    keys = SecretKeys(NEW, [OLD])
    recovery = {totp.hash_recovery_code(k, "ABCDE-FGHJK") for k in keys.legacy_keys("recovery-codes")}
    assert EARLIER_RECOVERY_HASH in recovery
    assert totp.hash_recovery_code(keys.derive_key("recovery-codes"), "abcde-fghjk") != EARLIER_RECOVERY_HASH
    settings = load_settings(mode="demo", secret_key=OLD)
    login = login_settings(settings)
    snils = Snils.parse("112-233-445 95")
    assert snils_hash(snils, login.snils_key) != EARLIER_SNILS_HASH  # new hashes use the HKDF key
    assert EARLIER_SNILS_HASH in {snils_hash(snils, k) for k in login.earlier_snils_keys}


def test_new_values_are_sealed_under_the_current_secret_only() -> None:
    token = SecretKeys(NEW, [OLD]).cipher("totp").encrypt("s", associated_data="x")
    assert FieldCipher(NEW, purpose="totp").decrypt_text(token, associated_data="x") == "s"
    with pytest.raises(DecryptionError):
        FieldCipher(OLD, purpose="totp").decrypt(token, associated_data="x")


def test_a_previous_secret_opens_until_it_is_removed_and_reseal_moves_values() -> None:
    old_token = FieldCipher(OLD, purpose="signing-keys").encrypt(b"pem", associated_data="kid-1")
    rotated = SecretKeys(NEW, [OLD]).cipher("signing-keys")
    assert rotated.decrypt(old_token, associated_data="kid-1") == b"pem"
    fresh = rotated.reseal(old_token, associated_data="kid-1")
    assert fresh is not None
    assert rotated.reseal(fresh, associated_data="kid-1") is None  # already current: nothing to do
    only_new = FieldCipher(NEW, purpose="signing-keys")
    assert only_new.decrypt(fresh, associated_data="kid-1") == b"pem"
    with pytest.raises(DecryptionError, match="another secret key"):
        only_new.decrypt(old_token, associated_data="kid-1")
    with pytest.raises(DecryptionError):
        rotated.reseal(old_token, associated_data="kid-2")  # bound to its row, whichever key


def test_previous_secret_keys_come_from_the_settings() -> None:
    settings = load_settings(mode="demo", secret_key=NEW, previous_secret_keys=[OLD, NEW])
    keys = SecretKeys.from_settings(settings)
    assert keys.has_previous
    expected = (SecretKeys(NEW).derive_key("totp"), SecretKeys(OLD).derive_key("totp"))
    assert keys.opening_keys("totp") == expected  # the current secret first, a repeated one once
    assert not SecretKeys.from_settings(load_settings(mode="demo", secret_key=NEW)).has_previous
    old_session = FieldCipher(OLD, purpose="sso-session").encrypt(b"claims", associated_data="sid")
    sessions = FieldCipher.from_settings(settings, purpose="sso-session")  # how the broker's KV values open
    assert sessions.decrypt(old_session, associated_data="sid") == b"claims"


def test_legacy_keys_are_the_earlier_sha256_derivation() -> None:
    assert SecretKeys(OLD).legacy_keys("contact-code") == (
        hashlib.sha256(b"frmr-sso/contact-code\x00" + OLD.encode()).digest(),
    )
