"""Signing key material: generation, PEM round trips and public JWKs (RFC 7517, 7518, 7638).

``kid`` is the RFC 7638 thumbprint of the public key, so it is stable, unique
per key and can be recomputed by anyone holding the JWK.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from frmr_sso.jose.b64 import b64url_encode

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
SUPPORTED_ALGORITHMS = ("RS256", "ES256")
RSA_KEY_SIZES = (2048, 3072, 4096)
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


class UnsupportedAlgorithm(ValueError):
    """Only RS256 and ES256 keys are issued."""


def check_algorithm(alg: str) -> str:
    if alg not in SUPPORTED_ALGORITHMS:
        choices = " or ".join(SUPPORTED_ALGORITHMS)
        raise UnsupportedAlgorithm(f"unsupported signing algorithm {alg!r}; use {choices}")
    return alg


def generate_private_key(alg: str, *, rsa_bits: int = 2048) -> PrivateKey:
    check_algorithm(alg)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if rsa_bits not in RSA_KEY_SIZES:
        raise ValueError(f"RSA keys must have one of {RSA_KEY_SIZES} bits")
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(pem: bytes, alg: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    expected: type[Any] = ec.EllipticCurvePrivateKey if alg == "ES256" else rsa.RSAPrivateKey
    if not isinstance(key, expected):
        raise UnsupportedAlgorithm(f"the stored private key does not fit {alg}")
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        raise UnsupportedAlgorithm("an ES256 key must be on P-256")
    return key  # type: ignore[no-any-return]


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, base64url."""
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return b64url_encode(digest)


def public_jwk(key: PrivateKey, alg: str) -> dict[str, Any]:
    """The public half as a JWK with ``kid``, ``use=sig`` and ``alg``; never private members."""
    check_algorithm(alg)
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    assert isinstance(jwk, dict)
    public = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    return {**public, "kid": jwk_thumbprint(public), "use": "sig", "alg": alg}
