"""``client_secret`` signers for ESIA: the signature over the plain concatenation of the request.

ESIA wants ``client_secret`` = base64url of a detached, raw signature over
``client_id + scope + scope_org + timestamp + state + redirect_uri`` (``+ code``
at the token endpoint). Two signers are provided, both framework-free:

* ``RsaSecretSigner`` — RSASSA-PKCS1-v1_5 over SHA-256 (test stands, mock ESIA);
* ``GostSecretSigner`` — GOST R 34.10-2012 (256 bit) over Streebog-256 (production).

The GOST primitives and their byte order are ``jose.gost``.

GOST byte order (the part every implementation gets wrong once):

* the digest is Streebog-256 of the message as ``gostcrypto`` returns it; GOST R
  34.10-2012 §6.1 reads it as a little-endian number (as OpenSSL gost-engine,
  pygost and CryptoPro do), while ``gostcrypto`` reads its argument big-endian,
  so the digest is reversed before it is handed over;
* the 64-byte signature is ``s || r``, each 32 bytes big-endian (the octet
  string of RFC 4491 §2.2.2); ``gostcrypto`` returns ``r || s``;
* the public key is ``X || Y``, each 32 bytes big-endian, written as hex.
"""

from __future__ import annotations

import secrets
from typing import Protocol

import gostcrypto
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frmr_sso.jose.b64 import b64url_encode
from frmr_sso.jose.gost import DEFAULT_GOST_CURVE, GOST_SIZE, gost_curve, gost_sign_digest, streebog256


class ClientSecretSigner(Protocol):
    """Signs the ESIA request string; returns the ``client_secret`` value."""

    kind: str

    def sign(self, message: bytes) -> str: ...


def b64url(data: bytes, *, padded: bool = False) -> str:
    """base64url of ``data``; ``padded`` for an ESIA stand that wants the ``=`` padding back."""
    text = b64url_encode(data)
    return text + "=" * (-len(text) % 4) if padded else text








class RsaSecretSigner:
    kind = "rsa"

    def __init__(self, private_key: rsa.RSAPrivateKey, *, padded: bool = False) -> None:
        self._key = private_key
        self._padded = padded

    @classmethod
    def generate(cls, bits: int = 2048) -> RsaSecretSigner:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> RsaSecretSigner:
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA private key")
        return cls(key)

    def private_key_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def sign(self, message: bytes) -> str:
        signature = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return b64url(signature, padded=self._padded)


class GostSecretSigner:
    kind = "gost"

    def __init__(
        self, private_key: bytes, *, curve: str = DEFAULT_GOST_CURVE, padded: bool = False
    ) -> None:
        self._curve_name = curve
        self._curve = gost_curve(curve)
        if len(private_key) != GOST_SIZE or not 0 < int.from_bytes(private_key, "big") < self._curve["q"]:
            raise ValueError("a GOST private key is 32 bytes, big-endian, between 1 and q - 1")
        self._key = bytes(private_key)
        self._padded = padded

    @classmethod
    def generate(cls, *, curve: str = DEFAULT_GOST_CURVE) -> GostSecretSigner:
        q = gost_curve(curve)["q"]
        d = 1 + secrets.randbelow(q - 1)
        return cls(d.to_bytes(GOST_SIZE, "big"), curve=curve)

    @property
    def curve(self) -> str:
        return self._curve_name

    def private_key_hex(self) -> str:
        return self._key.hex()

    def public_key_hex(self) -> str:
        signer = gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, self._curve)
        return bytes(signer.public_key_generate(bytearray(self._key))).hex()

    def sign(self, message: bytes) -> str:
        signature = gost_sign_digest(self._key, streebog256(message), self._curve)
        return b64url(signature, padded=self._padded)




