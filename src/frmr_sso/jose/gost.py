"""GOST R 34.10-2012 (256 bit) signatures over Streebog-256, as ESIA uses them.

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

import gostcrypto

DEFAULT_GOST_CURVE = "id-tc26-gost-3410-2012-256-paramSetB"  # = CryptoPro-A, the usual ESIA key
GOST_SIZE = 32


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
