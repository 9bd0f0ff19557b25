"""Keys derived from ``FRMR_SSO_SECRET_KEY``, and field encryption at rest (AES-256-GCM).

Every key the broker derives from the deployment secret comes from ``derive_key``:
HKDF-SHA256 with the purpose (``signing-keys``, ``totp``, ``snils-hash`` …) as
``info``, so a ciphertext of one kind can never be decrypted as another and no
two purposes share a key. ``SecretKeys`` holds the current secret and the
previous ones (``FRMR_SSO_PREVIOUS_SECRET_KEYS``): values are sealed under the
current one and opened under any, until ``frmr-sso secrets reseal`` has moved
them to the current one. A stored value reads ``v1.<base64url(nonce ‖ ciphertext ‖ tag)>``
with a random 96-bit nonce; the version prefix leaves room for a new scheme
without rewriting old rows. Callers bind a value to its row through
``associated_data`` (the key id, the family id), so swapping ciphertexts between
rows fails like any other tampering: with ``DecryptionError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from frmr_sso.config import Settings
from frmr_sso.errors import FrmrSsoError

VERSION = "v1"
NONCE_BYTES = 12
_TAG_BYTES = 16
_HKDF_SALT = b"frmr-sso field encryption"


class DecryptionError(FrmrSsoError):
    """A stored value is malformed, was changed, or was sealed under another key or purpose."""


def _material(secret: str | bytes) -> bytes:
    material = secret.encode() if isinstance(secret, str) else secret
    if not material:
        raise ValueError("the secret key is empty")
    return material


def derive_key(secret: str | bytes, purpose: str) -> bytes:
    """32 bytes for ``purpose``, derived from the deployment secret with HKDF-SHA256."""
    if not purpose:
        raise ValueError("a key purpose is required")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=f"frmr-sso/{purpose}".encode())
    return hkdf.derive(_material(secret))


class SecretKeys:
    """The current deployment secret and the previous ones still accepted for opening values."""

    __slots__ = ("_secrets",)

    def __init__(self, current: str | bytes, previous: Sequence[str | bytes] = ()) -> None:
        first = _material(current)
        others = [m for m in map(_material, previous) if m != first]
        self._secrets: tuple[bytes, ...] = (first, *dict.fromkeys(others))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretKeys:
        previous = [s.get_secret_value() for s in settings.previous_secret_keys]
        return cls(settings.secret_key.get_secret_value(), previous)

    @property
    def has_previous(self) -> bool:
        return len(self._secrets) > 1

    def derive_key(self, purpose: str) -> bytes:
        """The key of ``purpose`` under the current secret: what new values are sealed or keyed with."""
        return derive_key(self._secrets[0], purpose)

    def opening_keys(self, purpose: str) -> tuple[bytes, ...]:
        """The key of ``purpose`` under every accepted secret, the current one first."""
        return tuple(derive_key(secret, purpose) for secret in self._secrets)

    def legacy_keys(self, purpose: str) -> tuple[bytes, ...]:
        """``SHA-256("frmr-sso/<purpose>" 0x00 secret)`` per accepted secret: how the keys of
        keyed hashes stored by earlier versions (recovery codes, SNILS, contact codes) were made. Only for
        recognising those hashes; nothing new is keyed this way."""
        label = f"frmr-sso/{purpose}".encode()
        return tuple(hashlib.sha256(label + b"\x00" + secret).digest() for secret in self._secrets)

    def earlier_keys(self, purpose: str) -> tuple[bytes, ...]:
        """Every key but the current one a stored keyed hash of ``purpose`` may have been made with:
        under a previous secret, then the earlier derivation under each accepted secret."""
        return (*self.opening_keys(purpose)[1:], *self.legacy_keys(purpose))

    def cipher(self, purpose: str) -> FieldCipher:
        return FieldCipher(self, purpose=purpose)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


class FieldCipher:
    """Seals and opens one kind of field; cheap to call, safe to share between tasks."""

    __slots__ = ("_aeads", "purpose")

    def __init__(self, secret: str | bytes | SecretKeys, *, purpose: str) -> None:
        keys = secret if isinstance(secret, SecretKeys) else SecretKeys(secret)
        self.purpose = purpose
        self._aeads = tuple(AESGCM(key) for key in keys.opening_keys(purpose))

    @classmethod
    def from_settings(cls, settings: Settings, *, purpose: str) -> FieldCipher:
        return cls(SecretKeys.from_settings(settings), purpose=purpose)

    def encrypt(self, plaintext: bytes | str, *, associated_data: bytes | str = b"") -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[0].encrypt(nonce, data, self._aad(associated_data))
        return f"{VERSION}.{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, *, associated_data: bytes | str = b"") -> bytes:
        """The plaintext, opened under the current secret or any previous one."""
        return self._open(token, associated_data)[1]

    def reseal(self, token: str, *, associated_data: bytes | str = b"") -> str | None:
        """``token`` sealed anew under the current secret; None when it already is (nothing to do).

        DecryptionError when no accepted secret opens it.
        """
        index, plaintext = self._open(token, associated_data)
        return None if index == 0 else self.encrypt(plaintext, associated_data=associated_data)

    def _open(self, token: str, associated_data: bytes | str) -> tuple[int, bytes]:
        version, dot, body = token.partition(".")
        if version != VERSION or not dot:
            raise DecryptionError(f"unsupported {self.purpose} ciphertext format")
        try:
            raw = _b64decode(body)
        except (binascii.Error, ValueError):
            raise DecryptionError(f"malformed {self.purpose} ciphertext") from None
        if len(raw) < NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(f"truncated {self.purpose} ciphertext")
        nonce, sealed, aad = raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(associated_data)
        for index, aead in enumerate(self._aeads):
            try:
                return index, aead.decrypt(nonce, sealed, aad)
            except InvalidTag:
                continue
        raise DecryptionError(
            f"{self.purpose} ciphertext failed authentication (changed, or another secret key)"
        )

    def decrypt_text(self, token: str, *, associated_data: bytes | str = b"") -> str:
        return self.decrypt(token, associated_data=associated_data).decode()

    def _aad(self, associated_data: bytes | str) -> bytes:
        extra = associated_data.encode() if isinstance(associated_data, str) else associated_data
        return self.purpose.encode() + b"\x00" + extra
