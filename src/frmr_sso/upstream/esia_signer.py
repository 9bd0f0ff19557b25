"""``client_secret`` signers for ESIA: the signature over the plain concatenation of the request.

ESIA wants ``client_secret`` = base64url of a detached, raw signature over
``client_id + scope + scope_org + timestamp + state + redirect_uri`` (``+ code``
at the token endpoint). Two signers are provided, both framework-free:

* ``RsaSecretSigner`` — RSASSA-PKCS1-v1_5 over SHA-256 (test stands, mock ESIA);
* ``GostSecretSigner`` — GOST R 34.10-2012 (256 bit) over Streebog-256 (production).

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

import base64
import secrets
from typing import Protocol

import gostcrypto
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_GOST_CURVE = "id-tc26-gost-3410-2012-256-paramSetB"  # = CryptoPro-A, the usual ESIA key
GOST_SIZE = 32


class ClientSecretSigner(Protocol):
    """Signs the ESIA request string; returns the ``client_secret`` value."""

    kind: str

    def sign(self, message: bytes) -> str: ...


def b64url(data: bytes, *, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if padded else text.rstrip("=")


def streebog256(message: bytes) -> bytes:
    return bytes(gostcrypto.gosthash.new("streebog256", data=message).digest())


def gost_curve(name: str) -> dict[str, int]:
    try:
        curve: dict[str, int] = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[name]
    except KeyError:
        raise ValueError(f"unknown GOST curve {name}") from None
    if "256" not in name:
        raise ValueError(f"{name} is not a 256-bit curve")
    return curve


def gost_sign_digest(
    private_key: bytes, digest: bytes, curve: dict[str, int], *, rand_k: bytes | None = None
) -> bytes:
    """Raw ``s || r`` over a Streebog-256 ``digest`` (``rand_k`` only for known-answer tests)."""
    signer = gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, curve)
    extra = {"rand_k": bytearray(rand_k)} if rand_k is not None else {}
    r_s = bytes(signer.sign(bytearray(private_key), bytearray(digest[::-1]), **extra))
    return r_s[GOST_SIZE:] + r_s[:GOST_SIZE]


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


def gost_verify_digest(public_key: bytes, digest: bytes, signature: bytes, curve: dict[str, int]) -> bool:
    """Check a raw ``s || r`` over a Streebog-256 ``digest`` with the public key ``X || Y``.

    The inverse of ``gost_sign_digest``; used for ESIA's GOST3410_2012_256 tokens.
    """
    if len(public_key) != 2 * GOST_SIZE or len(signature) != 2 * GOST_SIZE:
        return False
    if not gost_point_on_curve(public_key, curve):
        return False
    verifier = gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, curve)
    r_s = signature[GOST_SIZE:] + signature[:GOST_SIZE]
    try:
        return bool(verifier.verify(bytearray(public_key), bytearray(digest[::-1]), bytearray(r_s)))
    except (gostcrypto.gostsignature.GOSTSignatureError, ValueError):
        return False


def gost_point_on_curve(public_key: bytes, curve: dict[str, int]) -> bool:
    """``X || Y`` is a point of the short Weierstrass curve (a JWKS could publish anything)."""
    p = curve["p"]
    x = int.from_bytes(public_key[:GOST_SIZE], "big")
    y = int.from_bytes(public_key[GOST_SIZE:], "big")
    if not (0 <= x < p and 0 <= y < p):
        return False
    return (y * y - (x * x * x + curve["a"] * x + curve["b"])) % p == 0
