"""Field encryption at rest: AES-256-GCM under a key derived from ``FRMR_SSO_SECRET_KEY``.

Each purpose (``signing-keys``, ``upstream-tokens`` …) gets its own key through
HKDF-SHA256 with the purpose as ``info``, so a ciphertext of one kind can never
be decrypted as another. A stored value reads ``v1.<base64url(nonce ‖ ciphertext ‖ tag)>``
with a random 96-bit nonce; the version prefix leaves room for a new scheme
without rewriting old rows. Callers bind a value to its row through
``associated_data`` (the key id, the family id), so swapping ciphertexts between
rows fails like any other tampering: with ``DecryptionError``.
"""

from __future__ import annotations

import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from frmr_sso.config import Settings
from frmr_sso.errors import FrmrSsoError
from frmr_sso.jose.b64 import b64url_decode, b64url_encode

VERSION = "v1"
NONCE_BYTES = 12
_TAG_BYTES = 16
_HKDF_SALT = b"frmr-sso field encryption"


class DecryptionError(FrmrSsoError):
    """A stored value is malformed, was changed, or was sealed under another key or purpose."""


def derive_key(secret: str | bytes, purpose: str) -> bytes:
    """32 bytes for ``purpose``, derived from the deployment secret with HKDF-SHA256."""
    if not purpose:
        raise ValueError("an encryption purpose is required")
    material = secret.encode() if isinstance(secret, str) else secret
    if not material:
        raise ValueError("the secret key is empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=f"frmr-sso/{purpose}".encode())
    return hkdf.derive(material)


class FieldCipher:
    """Seals and opens one kind of field; cheap to call, safe to share between tasks."""

    __slots__ = ("_aead", "purpose")

    def __init__(self, secret: str | bytes, *, purpose: str) -> None:
        self.purpose = purpose
        self._aead = AESGCM(derive_key(secret, purpose))

    @classmethod
    def from_settings(cls, settings: Settings, *, purpose: str) -> FieldCipher:
        return cls(settings.secret_key.get_secret_value(), purpose=purpose)

    def encrypt(self, plaintext: bytes | str, *, associated_data: bytes | str = b"") -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, data, self._aad(associated_data))
        return f"{VERSION}.{b64url_encode(nonce + sealed)}"

    def decrypt(self, token: str, *, associated_data: bytes | str = b"") -> bytes:
        version, dot, body = token.partition(".")
        if version != VERSION or not dot:
            raise DecryptionError(f"unsupported {self.purpose} ciphertext format")
        try:
            raw = b64url_decode(body)
        except (binascii.Error, ValueError):
            raise DecryptionError(f"malformed {self.purpose} ciphertext") from None
        if len(raw) < NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(f"truncated {self.purpose} ciphertext")
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(associated_data))
        except InvalidTag:
            raise DecryptionError(
                f"{self.purpose} ciphertext failed authentication (changed, or another secret key)"
            ) from None

    def decrypt_text(self, token: str, *, associated_data: bytes | str = b"") -> str:
        return self.decrypt(token, associated_data=associated_data).decode()

    def _aad(self, associated_data: bytes | str) -> bytes:
        extra = associated_data.encode() if isinstance(associated_data, str) else associated_data
        return self.purpose.encode() + b"\x00" + extra
